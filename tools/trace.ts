// `make trace STACK=name PORT=hostport`: follows one port the stack's wrapper
// publishes, hop by hop, and names the first hop where it breaks.
//   host: Docker's publish of the wrapper (docker inspect), the host's
//         listener and a request to it, from the engine's host
//   wrapper: scripts/trace.sh, streamed in: NAT rules in both backends, the
//         portmap chain, the inner container, its listener, the probes
//         from the wrapper, conntrack
// Prints a table (tools/trace-judge.ts judges it); exits 1 when a hop fails.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { engineName, lastLine, parseDockerEnv, runSync } from "./exec";
import { containerName } from "../components/names";
import { log, die, stackOutputs } from "./stack";
import { forwardFacts } from "./trace-forward";
import { curlProbe, formatRows, HostFacts, judge, listenersOn, parseWrapperFacts, Probe, Publish, verdict, WrapperFacts } from "./trace-judge";

const ROOT = path.resolve(__dirname, "..");
const CURL = ["-sS", "--noproxy", "*", "--max-time", "3", "-o", "/dev/null", "-w", "%{http_code} %{time_connect}\n"];

interface Inspect {
    Image: string;
    State: { Status: string; Health?: { Status: string } };
    NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
}

function main(): void {
    const [stack, port] = process.argv.slice(2);
    if (!stack) die("usage: make trace STACK=name PORT=hostport");
    if (!/^\d+$/.test(port ?? "") || Number(port) < 1 || Number(port) > 65535) {
        die(`PORT is '${port ?? ""}': give a host port the stack publishes (its ports output), e.g. make trace STACK=${stack} PORT=8080`);
    }
    log(`stack ${stack}: reading its outputs (pulumi stack output)`);
    const out = stackOutputs(stack);
    const container = typeof out.containerName === "string" ? out.containerName : containerName(stack);
    const env = parseDockerEnv(typeof out.dockerEnv === "string" ? out.dockerEnv : "");
    const engine = engineName(env);
    const h: HostFacts = {
        stack, port, container, engine, published: [], hostListeners: [],
        configured: Array.isArray(out.ports) ? out.ports.map(String) : [],
    };

    log(`asking the ${engine} engine about ${container} (docker inspect)`);
    const r = runSync("docker", ["inspect", "--type", "container", container], { env, timeoutS: 20 });
    if (r.code !== 0 && !/No such (container|object)/i.test(r.stderr)) die(`the ${engine} engine did not answer docker inspect ${container}: ${lastLine(r)}`);
    const info = r.code === 0 ? (JSON.parse(r.stdout) as Inspect[])[0] : undefined;
    let w: WrapperFacts | undefined;
    if (info) {
        h.wrapperState = info.State.Status;
        h.wrapperHealth = info.State.Health?.Status;
        const ports = Object.entries(info.NetworkSettings.Ports ?? {})
            .flatMap(([inner, binds]) => (binds ?? []).map((b) => ({ hostIp: b.HostIp, hostPort: b.HostPort, innerPort: inner.split("/")[0], proto: inner.split("/")[1] })));
        h.published = ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.innerPort}/${p.proto}`);
        h.publish = ports.filter((p) => p.hostPort === port).sort((a, b) => a.proto.localeCompare(b.proto))[0];
    }
    if (h.wrapperState === "running" && !h.publish && out.forwards !== "off") {
        // Not Docker's: the port of an inner -p, forwarded by the stack's
        // forwarder on this machine, at the same number in the wrapper.
        log(`Docker publishes no ${port} for ${container}: tracing it as a forward (ndind-forward list)`);
        const f = runSync(path.join(ROOT, "forward", "out", "ndind-forward"), ["list", "--json", "--stack", stack, "--root", ROOT], { timeoutS: 10 });
        if (f.code !== 0) die(`ndind-forward list failed: ${lastLine(f)} (make toolchain builds it)`);
        h.forward = forwardFacts(JSON.parse(f.stdout) as Parameters<typeof forwardFacts>[0], port, forwarderLog(stack));
    }
    if (h.forward && !h.forward.running) {
        // A stack brought up without make up (pulumi up by hand) has none: Docker's publish is all there is.
        log(`the stack's forwarder is not running (make up STACK=${stack} starts it): tracing Docker's publish only`);
        h.forward = undefined;
    }
    if (h.forward) {
        const listen = h.forward.entry?.listen.replace(/:\d+$/, "") ?? "127.0.0.1";
        h.publish = { hostIp: listen, hostPort: port, innerPort: port, proto: "tcp" };
        hostSide(h, h.publish, "", {}, true);
    } else if (h.wrapperState === "running" && h.publish) {
        hostSide(h, h.publish, info?.Image ?? "", env);
    }
    if (h.wrapperState === "running" && h.publish) {
        log(`tracing ${h.publish.innerPort}/${h.publish.proto} inside ${container} (scripts/trace.sh: rules, inner container, listener, probes)`);
        const t = runSync("docker", ["exec", "-i", container, "sh", "-s", h.publish.innerPort, h.publish.proto],
            { env, input: fs.readFileSync(path.join(ROOT, "scripts", "trace.sh"), "utf8"), timeoutS: 90 });
        if (t.code !== 0) die(`scripts/trace.sh failed in ${container}: ${lastLine(t)}`);
        w = parseWrapperFacts(t.stdout);
    }

    const rows = judge(h, w);
    console.log(`\ntrace of ${stack}'s host port ${port}${h.publish ? ` (${h.publish.proto})` : ""}, hop by hop:\n`);
    console.log(formatRows(rows));
    const v = verdict(rows);
    if (!v) {
        console.log(`\nverdict: ok: every hop of ${port} works`);
        return;
    }
    console.log(`\nverdict: FAIL at hop ${v.index + 1} (${v.row.hop}): ${v.row.why ?? v.row.found}`);
    if (v.row.fix) console.log(`fix: ${v.row.fix}`);
    process.exit(1);
}

/** The forwarder's log, in the folder forward/main.go's stateDir names. */
function forwarderLog(stack: string): string {
    const cache = process.env.NDIND_CACHE ?? path.join(os.homedir(), ".cache", "nerdctl-dind");
    return path.join(cache, "forward", `${stack}.${crypto.createHash("sha256").update(ROOT).digest("hex").slice(0, 8)}`, "forwarder.log");
}

/**
 * The host's view: who listens on the port and what a request to it gets,
 * from the engine's own host. A remote host is asked through a throwaway
 * container of the wrapper's image (curl and a shell are in it) on the host's
 * network.
 */
function hostSide(h: HostFacts, p: Publish, image: string, env: Record<string, string>, here = false): void {
    const addr = ["0.0.0.0", "::", ""].includes(p.hostIp) ? "127.0.0.1" : p.hostIp;
    const target = `${addr.includes(":") ? `[${addr}]` : addr}:${p.hostPort}`;
    if (p.proto !== "tcp") {
        h.hostProbe = { status: "skip", detail: `${target}: UDP, not probed` };
        return;
    }
    let probe: Probe;
    if (h.engine === "local" || here) {
        log(`probing ${target} from this host (curl)`);
        const procNet = ["/proc/net/tcp", "/proc/net/tcp6"].map((f) => fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "").join("\n");
        h.hostListeners = listenersOn(procNet, p.hostPort);
        const c = runSync("curl", [...CURL, `http://${target}/`], { timeoutS: 10 });
        probe = curlProbe(target, c.code, `${c.stderr}\n${c.stdout}`, true);
    } else {
        log(`probing ${target} on the ${h.engine} host (a container of the wrapper's image on the host network)`);
        const script = `cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; echo ===; curl ${CURL.map((a) => `'${a}'`).join(" ")} 'http://${target}/' 2>&1; rc=$?; echo; echo "rc=$rc"`;
        const c = runSync("docker", ["run", "--rm", "--network", "host", "--entrypoint", "sh", image, "-c", script], { env, timeoutS: 60 });
        const [procNet, rest = ""] = c.stdout.split("\n===\n");
        h.hostListeners = listenersOn(procNet, p.hostPort);
        const rc = /rc=(\d+)/.exec(rest);
        probe = rc ? curlProbe(target, Number(rc[1]), rest.replace(/rc=\d+\s*$/, "").trim(), true)
            : { status: "fail", detail: `${target}: the probe container did not run: ${lastLine(c)}` };
    }
    h.hostProbe = probe;
}

main();
