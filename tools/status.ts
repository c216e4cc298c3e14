// `make status`: every stack of this checkout (pulumi stack ls with the
// Makefile's backend), each read from its state (pulumi stack export, no
// refresh, no up) and checked against its engine: the wrapper's state, its
// ports, its storage and images. Stacks and engines are asked at once, each
// docker call bounded (NDIND_STATUS_TIMEOUT, 8 s), so an engine that does not
// answer costs one timeout and is named for its stacks.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { engineName, lastLine, parseDockerEnv, Result, runAsync, runSync } from "./exec";
import { containerName } from "../components/names";
import { die, log, ROOT, stackFile } from "./stack";
import { formatStatus, ForwarderState, forwardsText, humanSize, InnerContainer, innerText, Inspect, publishedPorts, spaceText, StackStatus, summarizeState, versionsText, wrapperState } from "./status-model";

const TIMEOUT_S = Number(process.env.NDIND_STATUS_TIMEOUT ?? 8);

const engines = new Map<string, Promise<string | undefined>>();

/** undefined when the engine answers; else why not. Asked once per engine. */
function engineProblem(env: Record<string, string>): Promise<string | undefined> {
    const key = JSON.stringify(env);
    let p = engines.get(key);
    if (!p) {
        p = runAsync("docker", ["version", "--format", "{{.Server.Version}}"], { env, timeoutS: TIMEOUT_S })
            // docker's ssh transport wraps ssh's own words after "stderr=": those say why.
            .then((r) => r.code === 0 ? undefined : r.timedOut ? `unreachable: no answer within ${TIMEOUT_S} s` : `unreachable: ${lastLine(r).replace(/^.*stderr=/, "")}`);
        engines.set(key, p);
    }
    return p;
}

/** The stack file's own dockerHost / dockerContext, for a stack whose outputs do not say yet. */
function configuredEngine(stack: string): Record<string, string> {
    const file = stackFile(stack);
    if (!fs.existsSync(file)) return {};
    const config = ((yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> }).config ?? {};
    const host = config["nerdctl-dind:dockerHost"];
    const context = config["nerdctl-dind:dockerContext"];
    return typeof host === "string" && host ? { DOCKER_HOST: host } : typeof context === "string" && context ? { DOCKER_CONTEXT: context } : {};
}

async function stackStatus(name: string, current: boolean): Promise<StackStatus> {
    const exported = await runAsync("pulumi", ["stack", "export", "--stack", name, "--non-interactive"], { timeoutS: 120 });
    if (exported.code !== 0) {
        return { name, current, engine: "?", plugins: "?", baseImage: "?", versions: "-", wrapper: `state unreadable: ${lastLine(exported)}`, ports: "-", storage: "-", images: "-" };
    }
    const s = summarizeState(JSON.parse(exported.stdout) as Parameters<typeof summarizeState>[0]);
    const o = s.outputs;
    const env = typeof o.dockerEnv === "string" ? parseDockerEnv(o.dockerEnv) : configuredEngine(name);
    const engine = engineName(env);
    const container = typeof o.containerName === "string" ? o.containerName : containerName(name);
    const storageDir = typeof o.storageDir === "string" ? o.storageDir : undefined;
    const lastImages = Array.isArray(o.imageList) ? `${o.imageList.length} at the last up` : "-";
    const status: StackStatus = {
        name, current, engine, plugins: s.plugins, baseImage: s.baseImage ?? "-", versions: versionsText(o.versions),
        wrapper: "unknown", ports: Array.isArray(o.ports) ? o.ports.join(", ") || "none" : "-",
        storage: storageDir ?? "-", images: lastImages,
    };
    status.engineProblem = await engineProblem(env);
    if (status.engineProblem) {
        status.wrapper = `unknown: the engine did not answer`;
        return status;
    }
    const r = await runAsync("docker", ["inspect", "--type", "container", container], { env, timeoutS: TIMEOUT_S });
    if (r.code !== 0 && !/No such (container|object)/i.test(r.stderr)) {
        status.wrapper = `unknown: docker inspect ${container}: ${lastLine(r)}`;
        return status;
    }
    const inspect = r.code === 0 ? (JSON.parse(r.stdout) as Inspect[])[0] : undefined;
    const state = wrapperState(s, container, name, inspect);
    status.wrapper = `${container}: ${state}`;
    if (inspect?.State.Status === "running") status.ports = publishedPorts(inspect).join(", ") || "none";

    // Only a running wrapper of this stack is asked about its images and, on
    // a remote engine, its storage (the storage folder's three parts are its
    // mounts); a local folder is measured here.
    const ours = /^running/.test(state) || /^unhealthy/.test(state);
    if (ours) {
        const m = await runAsync("docker", ["exec", container, "sh", "-c", "nerdctl images -q | sort -u | wc -l"], { env, timeoutS: TIMEOUT_S });
        if (m.code === 0) status.images = `${m.stdout.trim()} (nerdctl images)`;
        // Every namespace's containers but the probe's own (scripts/probe.sh).
        const ps = await runAsync("docker", ["exec", container, "sh", "-c",
            "for ns in $(ctr namespaces ls -q); do [ \"$ns\" = nerdctl-dind-probe ] || nerdctl -n \"$ns\" ps -a --format '{{json .}}'; done"], { env, timeoutS: TIMEOUT_S });
        status.inner = ps.code === 0
            ? innerText(ps.stdout.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as InnerContainer))
            : `unknown: ${lastLine(ps)}`;
    }
    if (storageDir && engine === "local") {
        const du = fs.existsSync(storageDir) ? await runAsync("du", ["-sk", storageDir], { timeoutS: TIMEOUT_S }) : undefined;
        status.storage = `${storageDir}: ${!du ? "no such folder" : du.code === 0 ? sizeOf([du.stdout]) : `size unknown (${lastLine(du)})`}`;
    } else if (storageDir && ours) {
        const du = await runAsync("docker", ["exec", container, "du", "-sk", "/var/lib/containerd", "/var/lib/nerdctl", "/var/lib/buildkit"], { env, timeoutS: TIMEOUT_S });
        status.storage = `${storageDir}: ${du.code === 0 ? sizeOf(du.stdout.trim().split("\n")) : `size unknown (${lastLine(du)})`}`;
    } else if (storageDir) {
        status.storage = `${storageDir}: size unknown (measured by the running wrapper there)`;
    }
    if (ours) {
        const f = await runAsync(path.join(ROOT, "forward", "out", "ndind-forward"), ["list", "--json", "--stack", name, "--root", ROOT], { timeoutS: TIMEOUT_S });
        status.forwards = f.code === 0 ? forwardsText(JSON.parse(f.stdout) as ForwarderState, name) : `unknown: ${lastLine(f)} (make toolchain builds the forwarder)`;
    }
    if (storageDir && ours) {
        const layout = await runAsync("docker", ["exec", container, "/scripts/storage.sh", "show"], { env, timeoutS: TIMEOUT_S });
        status.storage += layout.code === 0 ? `; layout ${layout.stdout.trim()}` : "; layout unknown (an older wrapper image: make up)";
        const space = await runAsync("docker", ["exec", container, "/scripts/space.sh", "free"], { env, timeoutS: TIMEOUT_S });
        status.space = spaceText(space.code, `${space.stdout}${space.stderr}`, name);
    }
    return status;
}

function sizeOf(duLines: string[]): string {
    const kib = duLines.reduce((sum, l) => sum + (parseInt(l, 10) || 0), 0);
    return humanSize(kib);
}

async function main(): Promise<void> {
    log(`stacks of this checkout (pulumi stack ls; backend ${process.env.PULUMI_BACKEND_URL ?? "pulumi's default"})`);
    const ls: Result = runSync("pulumi", ["stack", "ls", "--json", "--non-interactive"], { timeoutS: 60 });
    if (ls.code !== 0) die(`pulumi stack ls failed: ${lastLine(ls)}`);
    const stacks = JSON.parse(ls.stdout) as { name: string; current: boolean }[];
    log(`reading ${stacks.length} state(s) (pulumi stack export) and asking their engines (docker, at most ${TIMEOUT_S} s a call)`);
    const t0 = Date.now();
    const all = await Promise.all(stacks.map((s) => stackStatus(s.name, s.current)));
    console.log(`\n${formatStatus(all)}\n`);
    log(`${all.length} stack(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

void main();
