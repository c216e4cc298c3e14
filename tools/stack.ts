// What the tools read of a stack: its outputs, through the pulumi CLI with the
// Makefile's settings (backend, passphrase), and the log style of the
// toolchain's shell scripts (toolchain/lib.sh).
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { lastLine, runSync } from "./exec";

export const ROOT = path.resolve(__dirname, "..");

/** The stack's own file, where Pulumi.yaml's stackConfigDir puts it. */
export function stackFile(stack: string): string {
    const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { stackConfigDir?: string };
    return path.join(ROOT, project.stackConfigDir ?? ".", `Pulumi.${stack}.yaml`);
}

export function log(msg: string): void {
    const now = new Date();
    const p = (n: number) => String(n).padStart(2, "0");
    const stamp = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())} ${p(now.getHours())}:${p(now.getMinutes())}:${p(now.getSeconds())}`;
    console.log(`${stamp}. >>> ${msg}`);
}

export function die(msg: string): never {
    log(`ERROR: ${msg}`);
    process.exit(1);
}

/** The stack's outputs; empty for a stack that was never brought up. */
export function stackOutputs(stack: string): Record<string, unknown> {
    const r = runSync("pulumi", ["stack", "output", "--json", "--stack", stack, "--non-interactive"], { timeoutS: 60 });
    if (r.code !== 0) {
        die(`pulumi stack output --stack ${stack} failed: ${lastLine(r)}` +
            (/no stack named/i.test(r.stderr) ? ` (make status lists this checkout's stacks, backend ${process.env.PULUMI_BACKEND_URL ?? "pulumi's default"})` : ""));
    }
    return JSON.parse(r.stdout || "{}") as Record<string, unknown>;
}
