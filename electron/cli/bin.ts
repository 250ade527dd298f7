// The `comfy-desk` executable: runs the CLI and exits with its code.
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`Unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(3);
  },
);
