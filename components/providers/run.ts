// How every dynamic provider runs a program: captured output, and an error
// that carries the program's own last words. Asynchronous, so that the one
// provider process can run independent steps (verify, report) side by side.
import { spawn } from "child_process";

export interface Ran {
    stdout: string;
    stderr: string;
}

export function runOrThrow(file: string, args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<Ran> {
    return new Promise((resolve, reject) => {
        const child = spawn(file, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
        child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
        child.on("error", (e) => reject(new Error(`${file} could not run: ${e.message}`)));
        child.on("close", (code) => {
            if (code === 0) return resolve({ stdout, stderr });
            const said = `${stderr}\n${stdout}`.trim().split("\n").slice(-15).join("\n");
            reject(new Error(`${file} ${args.slice(0, 2).join(" ")} exited ${code}:\n${said}`));
        });
    });
}

/** True when the program exits 0; for probes whose failure is an answer. */
export async function succeeds(file: string, args: string[], env?: Record<string, string>): Promise<boolean> {
    return runOrThrow(file, args, { env }).then(() => true, () => false);
}

export function dockerEnv(dockerHost: string | undefined): Record<string, string> {
    return dockerHost ? { DOCKER_HOST: dockerHost } : {};
}

/** The keys whose values differ; unknown values (at preview) count as changed. */
export function changedKeys<T extends object>(olds: T, news: T, keys: (keyof T)[]): string[] {
    return keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])).map(String);
}
