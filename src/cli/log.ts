import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type pinoPretty from 'pino-pretty';

// Loaded only for a person at a terminal: servers and scripts log JSON and start sooner without it.
const pretty = (options: pinoPretty.PrettyOptions) => (createRequire(import.meta.url)('pino-pretty') as typeof pinoPretty)(options);

/** Secrets that may sit in what libraries log (e.g. the multipart parser logs the request headers at trace level). */
const REDACTED = ['req.headers.authorization', 'headers.authorization', '*.headers.authorization', 'password', '*.password', 'token', '*.token', '*.access_token', '*.code_verifier'];

/** Structured JSON logs; pretty-printed when a person is watching a terminal. */
export function createLogger(level = process.env.SWITCHBOARD_LOG_LEVEL ?? 'info', destination: NodeJS.WritableStream = process.stderr): Logger {
  const human = (destination as NodeJS.WriteStream).isTTY && process.env.SWITCHBOARD_LOG_FORMAT !== 'json';
  const opts = { level, base: undefined, redact: { paths: REDACTED, censor: '[redacted]' } };
  return human ? pino(opts, pretty({ colorize: true, sync: true, destination: 2, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' })) : pino(opts, destination);
}
