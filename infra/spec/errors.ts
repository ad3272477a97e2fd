/**
 * The one error the spec throws. It carries every problem found, so a user fixes all options in
 * one round instead of one per run. Each issue reads "<option path> must be <form>, got <value>".
 */
export class SpecValidationError extends Error {
  readonly code = 'SOCKTAP_SPEC' as const;
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    const message =
      issues.length === 1
        ? `invalid socktap options: ${issues[0]}`
        : `invalid socktap options (${issues.length} problems):\n${issues.map((i) => `  - ${i}`).join('\n')}`;
    super(message);
    this.name = 'SpecValidationError';
    this.issues = Object.freeze([...issues]);
  }
}
