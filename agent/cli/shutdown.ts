/** Runs until a duration passes or SIGINT/SIGTERM arrives, whichever is first. */
export function untilStopped(durationSec?: number): Promise<'signal' | 'duration'> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (why: 'signal' | 'duration') => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (timer) clearTimeout(timer);
      resolve(why);
    };
    const onSignal = () => done('signal');
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (durationSec !== undefined) timer = setTimeout(() => done('duration'), durationSec * 1000);
  });
}
