// `comfy-desk --help`, `-h`, `help`, and `comfy-desk run --help`: what a person asks first, answered
// (exit 0) before anything else is read or checked.

/** What is asked: the whole usage, run's, or nothing (not a call for help). */
export function helpWanted(argv: string[]): 'usage' | 'run' | null {
  const [first, second] = argv;
  const isHelp = (word: string | undefined): boolean => word === '--help' || word === '-h';
  if (first === 'help') return second === 'run' ? 'run' : 'usage';
  if (isHelp(first)) return 'usage';
  // Only before `--`: what follows it is a value, never an option.
  const words = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (!words.slice(1).some(isHelp)) return null;
  return first === 'run' ? 'run' : 'usage';
}

export const RUN_USAGE = `Usage: comfy-desk run <workflow_api.json> [--server S | --servers S1,S2,...] [--kind cloud|local]
                      [--set NODE.INPUT=VALUE ...] [--sweep NODE.INPUT=VALUES ...] [--batch-name NAME]
                      [--count N] [--seed fixed|random|increment] [--out DIR] [--grid FILE.png] [--wait]
                      [--timeout SECONDS] [--image NODE=FILE] [--mask NODE=FILE] [--data DIR]
Puts the workflow's runs in the app's queue and returns once every job is on a server (or held by
a pause, said, exit 0). A server S is an address or a profile's name.
  --set NODE.INPUT=VALUE   change an input (the node and the input must exist)
  --sweep NODE.INPUT=VALUES  a run for every value (at most twice: every combination):
                           3.cfg=4,6,8   3.seed=1..4   3.denoise=0.5..1:0.25
  --count N                runs of each (with --seed fixed, random or increment)
  --servers S1,S2,...      each run goes to the server where it would finish first
  --image NODE=FILE, --mask NODE=FILE   uploaded first (a mask needs --image on the same node)
  --wait                   wait until the jobs finish and their outputs are stored; each stored
                           file's place in the store is printed
  --out DIR                --wait, and copy the outputs into DIR (each copy is printed)
  --grid FILE.png          --wait, and write the sweep's labelled grid
  --timeout SECONDS        time without progress, not total time: it counts while the jobs cannot
                           move (the server unreachable or failing every send, no connection, a
                           job's status that cannot be read); failed attempts do not start it
                           again, a job taken by a server, started or finished does. Default 120
                           with --wait, 15 without; then exit 3, the jobs kept in the app's queue.
While outputs download, each is said (how much, the rate when slow, each retry and why) with the
time all its attempts end within (90 s for a file under 1 MB); one given up is named (exit 1), and
\`comfy-desk sync\` or the app fetches it again.
Exit codes: 0 done; 1 a job failed or an output could not be stored; 2 bad usage or input;
3 the jobs could not move for --timeout seconds, or the server refused (key, credits, access).`;
