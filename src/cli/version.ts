import { readFileSync } from 'node:fs';

/** The package version; also sent as X-Beeper-Desktop-Version. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
