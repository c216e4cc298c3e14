// `make trace`'s judgement, apart from the commands that gather the facts:
// each hop of a published port (host -> wrapper -> portmap -> inner
// container -> its listener) gets a status from what it holds and from the
// probes, and the first hop that fails, in path order, is the verdict. A
// probe that fails is blamed on a hop only when the probe of the hop after
// it succeeds, so a dead inner server is not reported as a NAT fault.

import { ForwardFacts, forwardRow } from "./trace-forward";

export type ProbeStatus = "ok" | "fail" | "skip";
export interface Probe {
    status: ProbeStatus;
    detail: string;
}

export interface Publish {
    hostIp: string;
    hostPort: string;
    innerPort: string;
    proto: string;
}

/** What the host side found (docker, the host's sockets, the host probe). */
export interface HostFacts {
    stack: string;
    /** The traced host port. */
    port: string;
    container: string;
    engine: string;
    /** undefined: no such container on the engine. */
    wrapperState?: string;
    wrapperHealth?: string;
    /** The mapping of the traced host port, if Docker publishes it. */
    publish?: Publish;
    /** Every mapping Docker publishes for the wrapper ("127.0.0.1:18700->8080/tcp"). */
    published: string[];
    /** The stack's ports output: what the last `up` asked for. */
    configured: string[];
    hostListeners: string[];
    hostProbe?: Probe;
    /** Set when the port is traced as a forward of the stack's forwarder (tools/trace-forward.ts). */
    forward?: ForwardFacts;
}

export interface InnerContainer {
    namespace: string;
    name: string;
    status: string;
    exitCode: string;
    ip: string;
    containerPort: string;
}

export interface Dnat {
    chain: string;
    target: string;
    reached: boolean;
}

/** What scripts/trace.sh found in the wrapper. */
export interface WrapperFacts {
    backend: string;
    choice: string;
    wrapperAddr: string;
    natError?: string;
    entry: Record<string, boolean>;
    dnat: Dnat[];
    otherBackend?: string;
    otherCount: number;
    otherRules: string[];
    containers: InnerContainer[];
    listeners: { address: string; holder: string }[];
    probes: Record<string, Probe>;
    conntrack: string;
    conntrackEntries: string[];
}

export function parseWrapperFacts(text: string): WrapperFacts {
    const f: WrapperFacts = {
        backend: "unknown", choice: "", wrapperAddr: "none", entry: {}, dnat: [], otherCount: 0, otherRules: [],
        containers: [], listeners: [], probes: {}, conntrack: "0", conntrackEntries: [],
    };
    for (const line of text.split("\n")) {
        const m = /^(\S+) ?(.*)$/.exec(line.trim());
        if (!m) continue;
        const [, key, rest] = m;
        const w = rest.split(/\s+/);
        switch (key) {
            case "backend": f.backend = rest; break;
            case "choice": f.choice = rest; break;
            case "wrapper_addr": f.wrapperAddr = rest; break;
            case "nat_error": f.natError = rest; break;
            case "entry": f.entry[w[0]] = w[1] === "yes"; break;
            case "dnat": f.dnat.push({ chain: w[0], target: w[1], reached: w[2] === "reached" }); break;
            case "other_backend": f.otherBackend = rest; break;
            case "other_count": f.otherCount = Number(rest) || 0; break;
            case "other_rule": f.otherRules.push(rest); break;
            case "container":
                f.containers.push({ namespace: w[0], name: w[1], status: w[2], exitCode: w[3], ip: w[5], containerPort: w[6] });
                break;
            case "listener": f.listeners.push({ address: w[0], holder: w.slice(1).join(" ") }); break;
            case "probe": f.probes[w[0]] = { status: w[1] as ProbeStatus, detail: w.slice(2).join(" ") }; break;
            case "conntrack": f.conntrack = rest; break;
            case "conntrack_entry": f.conntrackEntries.push(rest.replace(/\s+/g, " ")); break;
        }
    }
    return f;
}

/**
 * A curl of http://ADDR:PORT/ as a probe: any reply proves the path, an HTTP
 * one or not; "connected, no reply" does only where nothing proxies (Docker's
 * userland proxy accepts every connection itself). As scripts/trace.sh
 * judges its own probes.
 */
export function curlProbe(target: string, code: number, out: string, proxied: boolean): Probe {
    const msg = out.split("\n").map((l) => l.trim()).filter((l) => l && !/^\d{3} [\d.]+$/.test(l)).pop()?.replace(/^curl: \(\d+\) /, "") ?? `exit ${code}`;
    const timing = /^(\d{3}) ([\d.]+)$/m.exec(out);
    if (code === 0) return { status: "ok", detail: `${target} answered (HTTP ${timing?.[1] ?? "?"})` };
    if ((code === 1 || code === 8) && /HTTP\/0\.9|Weird server reply/.test(out)) return { status: "ok", detail: `${target} answered (not HTTP)` };
    if (code === 28 && timing && Number(timing[2]) > 0) {
        return proxied
            ? { status: "fail", detail: `${target}: connected (Docker's proxy accepts every connection), no reply within 3 s` }
            : { status: "ok", detail: `${target} accepted the connection (no reply to an HTTP request within 3 s)` };
    }
    if (code === 28) return { status: "fail", detail: `${target}: no connection within 3 s` };
    return { status: "fail", detail: `${target}: ${msg}` };
}

/** Listening TCP sockets on PORT in /proc/net/tcp and tcp6 text, as ADDR:PORT. */
export function listenersOn(procNet: string, port: string): string[] {
    const hexPort = Number(port).toString(16).toUpperCase().padStart(4, "0");
    const found: string[] = [];
    for (const line of procNet.split("\n")) {
        const f = line.trim().split(/\s+/);
        if (f.length < 4 || f[3] !== "0A") continue;
        const [addr, p] = f[1].split(":");
        if (p !== hexPort) continue;
        found.push(`${decodeAddress(addr)}:${port}`);
    }
    return [...new Set(found)];
}

function decodeAddress(hex: string): string {
    if (hex.length === 8) return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(".");
    if (/^0+$/.test(hex)) return "[::]";
    if (hex === "00000000000000000000000001000000") return "[::1]";
    return `[${hex}]`;
}

export type Status = "ok" | "FAIL" | "warn" | "-";
export interface Row {
    hop: string;
    status: Status;
    found: string;
    probe?: string;
    /** For a FAIL: why, and what to do. */
    why?: string;
    fix?: string;
}

const probeText = (from: string, p?: Probe) => p ? `${from} -> ${p.detail}` : undefined;
const ok = (p?: Probe) => p?.status === "ok";
const failed = (p?: Probe) => p?.status === "fail";

/** The hops in path order; the wrapper's facts are absent when the wrapper is not running. */
export function judge(h: HostFacts, w?: WrapperFacts): Row[] {
    const rows: Row[] = [];
    const running = h.wrapperState === "running";
    rows.push({
        hop: "wrapper", status: running ? "ok" : "FAIL",
        found: h.wrapperState === undefined
            ? `no container ${h.container} on the ${h.engine} engine`
            : `${h.container} ${h.wrapperState}${running && h.wrapperHealth ? `, ${h.wrapperHealth}` : ""} (${h.engine} engine)`,
        ...(running ? {} : h.wrapperState === undefined
            ? { why: `the stack's wrapper ${h.container} does not exist`, fix: `make up STACK=${h.stack}` }
            : { why: `the wrapper is ${h.wrapperState}`, fix: `docker start ${h.container} (or make up STACK=${h.stack})` }),
    });
    if (!running) return rows;

    const p = h.publish;
    const inner = w?.probes.inner;
    const nat = w?.probes.nat;
    const publishRow: Row = {
        hop: "host -> wrapper", status: "ok",
        found: p ? `Docker publishes ${p.hostIp}:${p.hostPort} -> wrapper ${p.innerPort}/${p.proto}; ` +
            `host listener: ${h.hostListeners.length ? h.hostListeners.join(", ") : "none (Docker's NAT only)"}`
            : `Docker publishes no host port ${h.port} for the wrapper (it publishes: ${h.published.length ? h.published.join(", ") : "nothing"})`,
        probe: probeText("host", h.hostProbe),
    };
    if (h.forward) Object.assign(publishRow, forwardRow(h.stack, h.port, h.forward, h.hostProbe, nat, w?.containers.some((c) => c.status === "running") ?? false));
    rows.push(publishRow);
    if (h.forward && !w) return rows;
    if (!p) {
        const wanted = h.configured.find((c) => c.split("->")[0].endsWith(`:${h.port}`));
        Object.assign(publishRow, {
            status: "FAIL",
            why: wanted ? `the stack's ports list it, but the running wrapper was made without it` : "the wrapper does not publish this host port",
            fix: wanted ? `make up STACK=${h.stack} (replaces the wrapper)`
                : `pulumi config set --stack ${h.stack} --path 'ports[${h.configured.length}]' ${h.port}:INNERPORT, then make up STACK=${h.stack} (replaces the wrapper; the images stay)`,
        });
        return rows;
    }
    if (!h.forward && failed(h.hostProbe) && ok(nat)) {
        Object.assign(publishRow, {
            status: "FAIL", why: "the wrapper answers on its own address, but not through Docker's published port",
            fix: "check that no other process holds the host port and that Docker's NAT rules are in place (docker port, iptables -t nat -S DOCKER on the host)",
        });
    }
    if (!w) return rows;

    const owner = w.containers.find((c) => c.status === "running");
    const reached = w.dnat.filter((d) => d.reached);
    const entryMissing = Object.entries(w.entry).filter(([, yes]) => !yes).map(([chain]) => chain);
    rows.push({
        hop: `wrapper nat (${w.backend})`,
        status: w.natError || (owner && entryMissing.includes("PREROUTING")) ? "FAIL" : entryMissing.length ? "warn" : "ok",
        found: w.natError ? `iptables-save failed: ${w.natError}`
            : `${Object.entries(w.entry).map(([chain, yes]) => `${chain} ${yes ? "->" : "does not jump to"} CNI-HOSTPORT-DNAT`).join(", ")} (${w.choice})`,
        ...(w.natError ? { why: `the ${w.backend} backend cannot list its nat table`, fix: "make doctor, and the iptablesBackend setting" } : {}),
        ...(!w.natError && owner && entryMissing.includes("PREROUTING") ? {
            why: "traffic from Docker never reaches CNI's portmap chain",
            fix: `docker restart ${h.container} (CNI writes the jump again when the next container starts)`,
        } : {}),
    });

    const portmap: Row = {
        hop: "portmap chain", status: "ok",
        found: w.dnat.length ? w.dnat.map((d) => `${d.chain}: :${p.innerPort} -> ${d.target}${d.reached ? "" : " (not reached from CNI-HOSTPORT-DNAT)"}`).join("; ")
            : `no DNAT rule for :${p.innerPort}`,
        probe: probeText("wrapper", nat),
    };
    rows.push(portmap);
    const want = owner ? `${owner.ip}:${owner.containerPort}` : undefined;
    if (owner && !reached.length) {
        Object.assign(portmap, {
            status: "FAIL", why: `no DNAT rule for :${p.innerPort}, though ${owner.name} publishes it: removed behind nerdctl's back`,
            fix: `nerdctl stop ${owner.name} && nerdctl start ${owner.name} (in the wrapper) writes it again`,
        });
    } else if (owner && reached.some((d) => d.target !== want)) {
        Object.assign(portmap, {
            status: "FAIL", why: `a DNAT rule sends :${p.innerPort} to ${reached.filter((d) => d.target !== want).map((d) => d.target).join(", ")}, but ${owner.name} is at ${want}: a rule left by an earlier container`,
            fix: `delete it (iptables -t nat -F CHAIN in the wrapper), or docker restart ${h.container}`,
        });
    } else if (owner && failed(nat) && ok(inner)) {
        Object.assign(portmap, {
            status: "FAIL", why: `the rule is there and ${owner.name} answers on ${want}, but not through the wrapper's address`,
            fix: "see the conntrack line and make logs (the rule dumps)",
        });
    } else if (!owner) {
        Object.assign(portmap, reached.length
            ? { status: "warn", why: `a rule is left for :${p.innerPort} with no container running behind it` }
            : { status: "-" });
    }

    if (w.otherBackend) {
        rows.push({
            hop: `other backend (${w.otherBackend})`, status: w.otherRules.length ? "FAIL" : "ok",
            found: w.otherRules.length ? `${w.otherRules.length} rule(s) for :${p.innerPort}: ${w.otherRules.join("; ")}`
                : `no rule for :${p.innerPort} (${w.otherCount} rules in all)`,
            ...(w.otherRules.length ? {
                why: `the wrapper uses ${w.backend}, but the ${w.otherBackend} backend has rules for :${p.innerPort} too: both act on the same packets, in an order neither controls`,
                fix: `delete them (xtables-${w.otherBackend}-multi iptables -t TABLE -D ... in the wrapper), or docker restart ${h.container} (a new network namespace)`,
            } : {}),
        });
    }

    const others = w.containers.filter((c) => c !== owner).map((c) => `${c.name} ${c.status}${c.status === "running" ? "" : ` (exit ${c.exitCode})`}`);
    rows.push({
        hop: "inner container", status: owner ? "ok" : "FAIL",
        found: owner ? `${owner.name} (namespace ${owner.namespace}) running at ${owner.ip}, publishes ${p.innerPort} -> ${owner.containerPort}/${p.proto}`
            + (others.length ? `; also: ${others.join(", ")}` : "")
            : others.length ? `none running: ${others.join(", ")}` : `no inner container publishes ${p.innerPort}/${p.proto}`,
        ...(owner ? {} : others.length
            ? { why: `the container that publishes ${p.innerPort} is not running`, fix: `nerdctl logs ${w.containers[0].name}, then nerdctl start ${w.containers[0].name} (in the wrapper)` }
            : { why: `no inner container publishes ${p.innerPort}`, fix: `nerdctl run -p ${p.innerPort}:PORT ... in the wrapper` }),
    });
    if (!owner) return rows;

    const reachable = w.listeners.filter((l) => !/^(127\.|\[::1\]:)/.test(l.address));
    const listener: Row = {
        hop: "inner listener", status: "ok",
        found: w.listeners.length ? w.listeners.map((l) => `${l.holder} listens on ${l.address}`).join(", ")
            : `nothing in ${owner.name} listens on ${owner.containerPort}/${p.proto}`,
        probe: probeText("wrapper", inner),
    };
    rows.push(listener);
    if (!w.listeners.length) {
        Object.assign(listener, {
            status: "FAIL", why: `nothing in ${owner.name} listens on ${owner.containerPort}/${p.proto}: the server is not running, or listens on another port`,
            fix: `nerdctl logs ${owner.name}; nerdctl exec ${owner.name} netstat -ltn (in the wrapper)`,
        });
    } else if (!reachable.length) {
        Object.assign(listener, {
            status: "FAIL", why: `it listens on loopback only, which traffic from outside ${owner.name} cannot reach`,
            fix: "make the server listen on 0.0.0.0 (or [::])",
        });
    } else if (failed(inner)) {
        Object.assign(listener, {
            status: "FAIL", why: `it listens, but the wrapper cannot reach ${owner.ip}:${owner.containerPort}`,
            fix: `a firewall in ${owner.name}, or the bridge: make logs (rule dumps), make doctor`,
        });
    }

    rows.push({ hop: "conntrack", status: "-", found: conntrackSummary(w, p.innerPort, owner) });
    return rows;
}

/** How many connections conntrack saw for the port, and where NAT sent them (the reply's source). */
export function conntrackSummary(w: WrapperFacts, port: string, owner?: InnerContainer): string {
    const replies = new Map<string, number>();
    for (const e of w.conntrackEntries) {
        const src = [...e.matchAll(/src=(\S+)/g)].map((m) => m[1]);
        const sport = [...e.matchAll(/sport=(\S+)/g)].map((m) => m[1]);
        const to = src[1] && sport[1] ? `${src[1]}:${sport[1]}` : "?";
        replies.set(to, (replies.get(to) ?? 0) + 1);
    }
    const mine = owner ? `${owner.ip}:${owner.containerPort}` : "";
    const parts = [...replies].map(([to, n]) => `${n} to ${to}${to === mine ? ` (${owner?.name})` : ""}`);
    return `${w.conntrack} entr${w.conntrack === "1" ? "y" : "ies"} for :${port}${parts.length ? `: ${parts.join(", ")}` : ""}`;
}

/** The first failing hop, in path order; undefined when the port works. */
export function verdict(rows: Row[]): { index: number; row: Row } | undefined {
    const index = rows.findIndex((r) => r.status === "FAIL");
    return index < 0 ? undefined : { index, row: rows[index] };
}

export function formatRows(rows: Row[]): string {
    const hopWidth = Math.max(...rows.map((r) => r.hop.length));
    const lines: string[] = [];
    rows.forEach((r, i) => {
        const head = `${String(i + 1).padStart(2)}  ${r.hop.padEnd(hopWidth)}  ${r.status.padEnd(4)}  `;
        lines.push(`${head}${r.found}`);
        const pad = " ".repeat(head.length);
        if (r.probe) lines.push(`${pad}probe: ${r.probe}`);
        if (r.status !== "ok" && r.why) lines.push(`${pad}why: ${r.why}`);
    });
    return lines.join("\n");
}
