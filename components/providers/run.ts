// How every dynamic provider runs a program: captured output, and an error
// that carries the program's own last words. Providers require() this inside
// their methods, since Pulumi serialises their code into the stack state.
import { spawnSync } from "child_process";

export interface Ran {
    stdout: string;
    stderr: string;
}

export function runOrThrow(file: string, args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Ran {
    const r = spawnSync(file, args, {
        cwd: opts.cwd, env: { ...process.env, ...opts.env }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024,
    });
    if (r.error) throw new Error(`${file} could not run: ${r.error.message}`);
    if (r.status !== 0) {
        const said = `${r.stderr}\n${r.stdout}`.trim().split("\n").slice(-15).join("\n");
        throw new Error(`${file} ${args.slice(0, 2).join(" ")} exited ${r.status}:\n${said}`);
    }
    return { stdout: r.stdout, stderr: r.stderr };
}

export function dockerEnv(dockerHost: string | undefined): Record<string, string> {
    return dockerHost ? { DOCKER_HOST: dockerHost } : {};
}

/** The keys whose values differ; unknown values (at preview) count as changed. */
export function changedKeys<T extends object>(olds: T, news: T, keys: (keyof T)[]): string[] {
    return keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])).map(String);
}
