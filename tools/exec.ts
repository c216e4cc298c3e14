// Commands the tools run: every call bounded, so an engine that does not
// answer (a remote host down, an ssh link that hangs) costs seconds, not the
// whole run.
import { spawn, spawnSync } from "child_process";

export interface Result {
    code: number;
    stdout: string;
    stderr: string;
    /** True when the command was killed at its time limit. */
    timedOut: boolean;
}

export interface Options {
    env?: Record<string, string>;
    input?: string;
    timeoutS?: number;
}

const DEFAULT_TIMEOUT_S = 20;

export function runSync(cmd: string, args: string[], opts: Options = {}): Result {
    const r = spawnSync(cmd, args, {
        encoding: "utf8", input: opts.input, env: { ...process.env, ...opts.env },
        timeout: (opts.timeoutS ?? DEFAULT_TIMEOUT_S) * 1000, maxBuffer: 256 * 1024 * 1024,
    });
    const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
    if (r.error && !timedOut) return { code: 127, stdout: "", stderr: `${cmd}: ${r.error.message}`, timedOut };
    return { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? "", timedOut };
}

/** The same, without blocking: `make status` asks every stack's engine at once. */
export function runAsync(cmd: string, args: string[], opts: Options = {}): Promise<Result> {
    return new Promise((resolve) => {
        const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, (opts.timeoutS ?? DEFAULT_TIMEOUT_S) * 1000);
        child.stdout?.on("data", (d: Buffer) => { stdout += d.toString(); });
        child.stderr?.on("data", (d: Buffer) => { stderr += d.toString(); });
        child.on("error", (e) => { clearTimeout(timer); resolve({ code: 127, stdout, stderr: `${cmd}: ${e.message}`, timedOut }); });
        child.on("close", (code) => { clearTimeout(timer); resolve({ code: code ?? 1, stdout, stderr, timedOut }); });
        // A child that exits before reading its input is its own answer, not an error of ours.
        child.stdin?.on("error", () => undefined);
        child.stdin?.end(opts.input);
    });
}

/** The last non-empty line a failed command printed, for messages. */
export function lastLine(r: Result): string {
    if (r.timedOut) return "no answer in time";
    return `${r.stderr}\n${r.stdout}`.split("\n").map((l) => l.trim()).filter(Boolean).pop() ?? `exit ${r.code}`;
}

/** The DOCKER_* variables of a stack's dockerEnv output ("DOCKER_HOST=ssh://… DOCKER_CERT_PATH=…"). */
export function parseDockerEnv(dockerEnv: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const word of dockerEnv.split(/\s+/).filter(Boolean)) {
        const i = word.indexOf("=");
        if (i > 0) env[word.slice(0, i)] = word.slice(i + 1);
    }
    return env;
}

/** How messages name a stack's engine: "local", or where DOCKER_HOST / DOCKER_CONTEXT points. */
export function engineName(env: Record<string, string>): string {
    if (env.DOCKER_HOST) return env.DOCKER_HOST;
    if (env.DOCKER_CONTEXT) return `context ${env.DOCKER_CONTEXT}`;
    return "local";
}
