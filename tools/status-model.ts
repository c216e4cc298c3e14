// `make status`'s reading of what it gathered, apart from the commands: a
// stack's state (pulumi stack export), its engine's answer about the wrapper
// (docker inspect), and what the wrapper says of its storage, into one block
// of lines per stack.

export interface StateSummary {
    outputs: Record<string, unknown>;
    /** ndind, pulumi, or "-" when the state holds no resource of either. */
    plugins: string;
    baseImage?: string;
    /** The wrapper container's ID and image ID as the state has them. */
    containerId?: string;
    imageId?: string;
}

interface Resource {
    type: string;
    id?: string;
    inputs?: unknown;
    outputs?: Record<string, unknown>;
}

/** What make status needs from `pulumi stack export`. */
export function summarizeState(exported: { deployment?: { resources?: Resource[] } }): StateSummary {
    const rs = exported.deployment?.resources ?? [];
    const root = rs.find((r) => r.type === "pulumi:pulumi:Stack");
    const types = rs.map((r) => r.type);
    const container = rs.find((r) => /^(ndind:index:Container|docker:index\/container:Container)$/.test(r.type));
    const image = rs.find((r) => /^(ndind:index:Image|docker:index\/image:Image)$/.test(r.type));
    const findBase = (o: unknown): string | undefined => {
        if (typeof o !== "object" || o === null) return undefined;
        const rec = o as Record<string, unknown>;
        if (typeof rec.BASE_IMAGE === "string") return rec.BASE_IMAGE;
        for (const v of Object.values(rec)) {
            const b = findBase(v);
            if (b) return b;
        }
        return undefined;
    };
    return {
        outputs: root?.outputs ?? {},
        plugins: types.some((t) => t.startsWith("ndind:")) ? "ndind" : types.some((t) => /^(docker|command):/.test(t)) ? "pulumi" : "-",
        baseImage: image ? findBase(image.inputs) : undefined,
        containerId: container?.id,
        imageId: typeof root?.outputs?.imageId === "string" ? root.outputs.imageId : image?.id,
    };
}

export interface Inspect {
    Id: string;
    Image: string;
    State: { Status: string; ExitCode: number; Health?: { Status: string; Log?: { Output: string }[] } };
    NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
}

/** Docker's published ports as the stack's ports output writes them ("127.0.0.1:8080->8080/tcp"). */
export function publishedPorts(i: Inspect): string[] {
    return Object.entries(i.NetworkSettings.Ports ?? {})
        .flatMap(([inner, binds]) => (binds ?? []).map((b) => `${b.HostIp}:${b.HostPort}->${inner}`))
        .sort();
}

/**
 * The wrapper's state in one phrase: running, stopped, unhealthy, missing,
 * or drifted from what the state recorded (another container or image
 * under its name, other ports), with what to do.
 */
export function wrapperState(s: StateSummary, name: string, stack: string, i?: Inspect): string {
    const up = `make up STACK=${stack}`;
    if (!s.containerId) return i ? `not in the state, but a container ${name} runs on the engine (${i.State.Status}): a leftover; docker rm -f ${name}, or ${up}` : "not up";
    if (!i) return `missing: the state has ${name}, the engine does not (${up} makes it again)`;
    const drift: string[] = [];
    if (i.Id !== s.containerId) drift.push(`another container under its name (${short(i.Id)}; the state's: ${short(s.containerId)})`);
    if (s.imageId && i.Image !== s.imageId) drift.push(`image ${short(i.Image)}, the state's is ${short(s.imageId)}`);
    // Docker lists a container's ports only while it runs.
    const want = Array.isArray(s.outputs.ports) ? (s.outputs.ports as unknown[]).map(String).sort() : undefined;
    const have = publishedPorts(i);
    if (i.State.Status === "running" && want && want.join(",") !== have.join(",")) drift.push(`ports ${have.join(", ") || "none"}, the state's: ${want.join(", ") || "none"}`);
    if (drift.length) return `drifted from the state: ${drift.join("; ")} (pulumi refresh --stack ${stack}, then ${up})`;
    const st = i.State;
    if (st.Status !== "running") return `${st.Status === "exited" ? "stopped" : st.Status} (exit ${st.ExitCode}; docker start ${name}, or ${up})`;
    if (st.Health?.Status === "unhealthy") {
        const why = st.Health.Log?.map((l) => l.Output.trim()).filter(Boolean).pop();
        return `unhealthy${why ? `: ${why}` : ""}`;
    }
    return `running${st.Health?.Status ? `, ${st.Health.Status}` : ""}`;
}

const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

export function humanSize(kib: number): string {
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let v = kib;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
        v /= 1024;
        u++;
    }
    return `${v < 10 && u > 0 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export interface StackStatus {
    name: string;
    current: boolean;
    engine: string;
    /** Set when the engine did not answer. */
    engineProblem?: string;
    plugins: string;
    baseImage: string;
    versions: string;
    wrapper: string;
    ports: string;
    storage: string;
    images: string;
    /** The forwarder's line (forward/: every inner published port on this machine). */
    forwards?: string;
    /** The storage's free share (scripts/space.sh free), a warning when below storageMinFree. */
    space?: string;
    /** Inner containers: how many run, and each that does not, with what would start it. */
    inner?: string;
}

/** What `ndind-forward list --json` prints, as much as status reads. */
export interface ForwarderState {
    running: boolean;
    connected?: boolean;
    error?: string;
    transport?: string;
    forwards?: { listen: string; container: string; error?: string; note?: string }[];
}

/** One line of `nerdctl ps -a --format '{{json .}}'`, as much as status reads. */
export interface InnerContainer {
    Names: string[] | string;
    Status: string;
    Labels?: Record<string, string>;
}

/**
 * The inner line: how many run, then each that does not. A restart policy
 * whose wanted state is running (containerd's restart labels) should have
 * brought its container back, after a wrapper or engine restart: that one
 * is named first, as a fault; a container without one stays stopped by
 * design, named with the command that starts it.
 */
export function innerText(containers: InnerContainer[]): string {
    const name = (c: InnerContainer) => Array.isArray(c.Names) ? c.Names.join(",") : c.Names;
    const up = containers.filter((c) => /^Up/.test(c.Status));
    const down = containers.filter((c) => !/^Up/.test(c.Status)).map((c) => {
        const policy = c.Labels?.["containerd.io/restart.policy"];
        const wanted = c.Labels?.["containerd.io/restart.status"];
        if (policy && wanted === "running") return { fault: true, text: `${name(c)} (restart ${policy}, yet ${c.Status}: nerdctl logs ${name(c)})` };
        if (policy) return { fault: false, text: `${name(c)} (restart ${policy}, stopped by nerdctl stop)` };
        return { fault: false, text: `${name(c)} (no restart policy: nerdctl start ${name(c)})` };
    }).sort((a, b) => Number(b.fault) - Number(a.fault));
    const faults = down.filter((d) => d.fault).length;
    return `${up.length} running` + (down.length
        ? `; ${down.length} not running${faults ? `, ${faults} of them despite a restart policy` : ""}: ${down.map((d) => d.text).join(", ")}`
        : "");
}

/** make status's space line from `space.sh free` (exit 3: below storageMinFree; 126/127: a wrapper image without it). */
export function spaceText(code: number, out: string, stack: string): string {
    const said = out.trim();
    if (code === 0) return said;
    if (code === 3) return `WARN ${said}: make prune STACK=${stack} gives back what builds left; nerdctl rmi what you no longer need`;
    if (code === 126 || code === 127 || /no such file/i.test(said)) return "unknown (an older wrapper image: make up)";
    return `unknown: ${said.split("\n").pop() ?? ""}`;
}

/** One line for make status: how many forward, and each failure with its reason. */
export function forwardsText(s: ForwarderState, stack: string): string {
    if (!s.running) return `forwarder not running (make up STACK=${stack} starts it)`;
    if (!s.connected) return `forwarder not connected to the wrapper${s.error ? `: ${s.error}` : ""}`;
    const all = s.forwards ?? [];
    const failed = all.filter((f) => f.error);
    const ok = all.filter((f) => !f.error && !f.note);
    const parts = [`${ok.length} forwarded${ok.length ? ` (${ok.map((f) => `${f.listen} ${f.container}`).join(", ")})` : ""}`];
    if (failed.length) parts.push(`${failed.length} FAILED: ${failed.map((f) => `${f.listen} ${f.container}: ${f.error ?? ""}`).join("; ")}`);
    // Each with its note: a udp port, or one Docker publishes (the ports setting).
    const skipped = all.filter((f) => !f.error && f.note);
    if (skipped.length) parts.push(`${skipped.length} not forwarded: ${skipped.map((f) => `${f.listen} ${f.container}: ${f.note ?? ""}`).join("; ")}`);
    return `${parts.join("; ")}; ${s.transport ?? ""}`;
}

export function formatStatus(stacks: StackStatus[]): string {
    if (!stacks.length) return "no stack in this checkout's backend (make up STACK=name makes one)";
    return stacks.map((s) => [
        `${s.name}${s.current ? " (selected)" : ""}`,
        `  engine    ${s.engine}${s.engineProblem ? `: ${s.engineProblem}` : ""}`,
        `  plugins   ${s.plugins}; base ${s.baseImage}`,
        `  versions  ${s.versions}`,
        `  wrapper   ${s.wrapper}`,
        `  ports     ${s.ports}`,
        `  storage   ${s.storage}`,
        ...(s.space ? [`  space     ${s.space}`] : []),
        ...(s.inner ? [`  inner     ${s.inner}`] : []),
        `  images    ${s.images}`,
        ...(s.forwards ? [`  forwards  ${s.forwards}`] : []),
    ].join("\n")).join("\n\n");
}

/** containerd 1.7.2, runc 1.1.7, CNI plugins 1.3.0, nerdctl 1.5.0, BuildKit 0.12.0, tini 0.19.0 from the versions output (older stacks' lack the last two). */
export function versionsText(v: unknown): string {
    if (typeof v !== "object" || v === null) return "-";
    const r = v as Record<string, unknown>;
    const names: [string, string][] = [["containerd", "containerd"], ["runc", "runc"], ["cniPlugins", "CNI plugins"], ["nerdctl", "nerdctl"],
    ["buildkit", "BuildKit"], ["tini", "tini"]];
    const parts = names.filter(([k]) => typeof r[k] === "string").map(([k, label]) => `${label} ${String(r[k])}`);
    return parts.length ? parts.join(", ") : "-";
}
