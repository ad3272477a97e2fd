/**
 * The socktap version the default image tag follows. Kept here (not read from package.json) so the
 * spec stays free of Node imports; a test checks it against package.json.
 */
export const SOCKTAP_VERSION = '0.1.0';

/** Where the agent image is published (see the Dockerfile and infra/README.md). */
export const DEFAULT_IMAGE_REPOSITORY = 'ghcr.io/socktap/socktap';
