// make trace's forwarding hop: a host port no Docker publish has is traced
// as a forward of the stack's forwarder (forward/, README: Port mapping):
// the forwarder running, connected to its wrapper, listening on the port,
// and a request to it; when it is the broken hop, the verdict names it.
import type { Probe, Row } from "./trace-judge";

/** What `ndind-forward list --json` says, cut to what trace reads. */
export interface ForwardFacts {
    running: boolean;
    connected?: boolean;
    error?: string;
    transport?: string;
    pid?: number;
    /** The forward of the traced port, if the forwarder has one. */
    entry?: { listen: string; inner: string; container: string; namespace: string; error?: string };
    log: string;
}

/** The forward of PORT in a `list --json` answer, by the port it listens on. */
export function forwardFacts(list: { running: boolean; connected?: boolean; error?: string; transport?: string; pid?: number; forwards?: ForwardFacts["entry"][] | null }, port: string, log: string): ForwardFacts {
    const entry = (list.forwards ?? []).find((f) => f?.listen.endsWith(`:${port}`));
    return { running: list.running, connected: list.connected, error: list.error, transport: list.transport, pid: list.pid, entry, log };
}

/**
 * The "host -> forwarder" row. innerRuns: whether an inner container runs
 * that publishes the port (known once the wrapper's facts are read).
 */
export function forwardRow(stack: string, port: string, f: ForwardFacts, hostProbe: Probe | undefined, natProbe: Probe | undefined, innerRuns: boolean): Row {
    const e = f.entry;
    const row: Row = {
        hop: "host -> forwarder", status: "ok",
        found: !f.running ? `the stack's forwarder is not running (no Docker publish of ${port} either)`
            : e ? `forwarder (pid ${f.pid ?? "?"}, ${f.transport ?? "?"}) listens on ${e.listen} -> ${e.container} (${e.namespace}) ${e.inner}`
                : `the forwarder (pid ${f.pid ?? "?"}) has no forward of ${port}${f.connected ? "" : ": not connected to the wrapper"}`,
        probe: hostProbe ? `host -> ${hostProbe.detail}` : undefined,
    };
    const fail = (why: string, fix: string) => Object.assign(row, { status: "FAIL", why, fix });
    if (!f.running) fail("the stack's forwarder is not running, and Docker does not publish this port", `make up STACK=${stack} (starts the forwarder)`);
    else if (!f.connected) fail(`the forwarder cannot reach the wrapper: ${f.error ?? "?"}`, `see ${f.log}; docker start the wrapper, or make up STACK=${stack}`);
    else if (e?.error) fail(`the forward cannot listen: ${e.error}`, `free ${e.listen} (ss -ltnp 'sport = :${port}' names who holds it); the forwarder tries again every 2 s`);
    else if (!e && innerRuns) fail(`an inner container publishes ${port}, but the forwarder has no forward of it`, `kill ${f.pid ?? "the forwarder"} (its supervisor starts it again at once); see ${f.log}`);
    else if (!e) row.status = "-";
    else if (hostProbe?.status === "fail" && natProbe?.status === "ok") {
        fail("the wrapper answers on its own address, but not through the forward", `kill ${f.pid ?? "the forwarder"} (its supervisor starts it again at once); see ${f.log}`);
    }
    return row;
}
