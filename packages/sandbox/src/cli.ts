#!/usr/bin/env node
/**
 * `wa-cloud-sandbox`: starts the emulator and prints what to paste into n8n or Node-RED. The secrets are
 * printed here on purpose (they are the sandbox's own, for the user's credentials form); the request log
 * that follows never contains them.
 */
import { startSandbox } from './sandbox';
import type { SandboxOptions } from './types';

const HELP = `Usage: wa-cloud-sandbox [options]

  --port <n>             port (default 8787; 0 = any free port)
  --host <addr>          bind address (default 127.0.0.1)
  --allow-host <name>    also accept this name in the Host header (repeatable; loopback names and --host always are)
  --webhook-url <url>    where webhooks go (your n8n / Node-RED webhook URL)
  --throughput <n>       messages per second per phone number (default 80)
  --throughput-mode <m>  how it is measured: bucket (one second's worth of tokens, default) or
                         sliding (at most <n> in any sliding second, stricter)
  --pair-burst <n>       pair-rate burst per recipient (default 45)
  --pair-interval <ms>   pair-rate refill interval (default 6000)
  --latency <ms>         added to each Graph response (default 0)
  --token <t>            access token (default sandbox-token)
  --app-secret <s>       app secret that signs webhooks (default sandbox-app-secret)
  --verify-token <t>     verify token for GET challenges (default sandbox-verify-token)
  --phone-number-id <id> (default 100000000000001)
  --waba-id <id>         (default 200000000000001)
  --fault-rate <0..1>    share of sends that get a fault (default 0)
  --faults <kinds>       comma list of server_error,reset,reset_before,reset_after,slow
  --seed <n>             seed for fault decisions (default 1)
  --read-delay <ms|off>  delay of the automatic "read" status (default 60; off disables)
  --quiet                do not log requests
  -h, --help             this help
`;

/** Parses argv into options; exported for tests. */
export function parseArgs(argv: string[]): { options: SandboxOptions; quiet: boolean; help: boolean } {
  const options: SandboxOptions = { port: 8787 };
  let quiet = false;
  let help = false;
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n)) throw new Error(`${flag} needs a number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': options.port = num(flag, val()); break;
      case '--host': options.host = val(); break;
      case '--allow-host': options.allowedHosts = [...(options.allowedHosts ?? []), val()]; break;
      case '--webhook-url': options.webhookUrl = val(); break;
      case '--throughput': options.throughput = num(flag, val()); break;
      case '--throughput-mode': {
        const v = val();
        if (v !== 'bucket' && v !== 'sliding') throw new Error(`${flag} must be bucket or sliding, not "${v}"`);
        options.throughputMode = v;
        break;
      }
      case '--pair-burst': options.pairRate = { burst: num(flag, val()), intervalMs: options.pairRate?.intervalMs ?? 6000 }; break;
      case '--pair-interval': options.pairRate = { burst: options.pairRate?.burst ?? 45, intervalMs: num(flag, val()) }; break;
      case '--latency': options.latencyMs = num(flag, val()); break;
      case '--token': options.accessToken = val(); break;
      case '--app-secret': options.appSecret = val(); break;
      case '--verify-token': options.verifyToken = val(); break;
      case '--phone-number-id': options.phoneNumberId = val(); break;
      case '--waba-id': options.wabaId = val(); break;
      case '--fault-rate': options.faults = { rate: num(flag, val()), kinds: options.faults?.kinds ?? ['server_error'] }; break;
      case '--faults': options.faults = { rate: options.faults?.rate ?? 0.1, kinds: val().split(',') as NonNullable<SandboxOptions['faults']>['kinds'] }; break;
      case '--seed': options.seed = num(flag, val()); break;
      case '--read-delay': {
        const v = val();
        options.statusDelaysMs = { ...options.statusDelaysMs, read: v === 'off' ? null : num(flag, v) };
        break;
      }
      case '--quiet': quiet = true; break;
      case '-h': case '--help': help = true; break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return { options, quiet, help };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(HELP);
    return;
  }
  const log = parsed.quiet ? undefined : (line: string): void => void process.stdout.write(`[sandbox] ${line}\n`);
  const sb = await startSandbox({ ...parsed.options, log });
  const lines = [
    'WhatsApp Cloud API sandbox is running.',
    '',
    `  Chat page (play the user):  ${sb.url}/`,
    `  Graph base URL:             ${sb.url}   (calls look like ${sb.url}/v23.0/${sb.phoneNumberId}/messages)`,
    `  Access token:               ${sb.accessToken}`,
    `  Phone number ID:            ${sb.phoneNumberId}`,
    `  WABA ID:                    ${sb.wabaId}`,
    `  App secret:                 ${sb.appSecret}`,
    `  Verify token:               ${sb.verifyToken}`,
    `  Webhooks go to:             ${sb.webhookUrl ?? '(none — set --webhook-url; replies then only show on the chat page)'}`,
    '',
    'Ctrl+C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the sandbox\n`);
    void sb.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  void main();
}
