// Every inner published port on the host (issue 30), made as the README tells
// a user: make up, then an inner `nerdctl run -d -p PORT:80` answers on this
// machine's 127.0.0.1:PORT with no make up and no wrapper replacement, and
// stops when the container goes; compose too; a taken host port is reported
// while the inner container runs; the forwards come back after docker restart
// of the wrapper and after the forwarder is killed; the streams through the
// engine (what a remote engine uses) carry the same traffic.
import * as assert from "assert";
import * as dgram from "dgram";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { BUSYBOX, BUSYBOX_TAR, env, must, removeMadeStack, requirePrerequisites, ROOT, run, stackFile, waitFor } from "./harness";

// A run beside others' on one machine takes names and host ports of its own:
// NDIND_E2E_PREFIX starts its stacks' names, NDIND_E2E_PORTS is the first of
// its 100 host ports.
const PREFIX = process.env.NDIND_E2E_PREFIX ?? "";
const PORTS = Number(process.env.NDIND_E2E_PORTS ?? 19100);
const name = `${PREFIX}pf-${process.pid.toString(36)}`;
const container = `nerdctl-dind-${name}`;
const FORWARD = path.join(ROOT, "forward", "out", "ndind-forward");
const [WEB, COMPOSE, TAKEN, LOOPBACK, STACK_PORT, IPV6, UDP, REMOTE_WEB] = [1, 2, 3, 4, 5, 6, 7, 21].map((i) => PORTS + i);

interface Forward { listen: string; container: string; inner: string; error?: string; note?: string; bytesOut: number; conns: number }
interface State { running: boolean; connected: boolean; pid: number; transport: string; forwards: Forward[] | null }

function state(): State {
    return JSON.parse(must(FORWARD, ["list", "--json", "--stack", name, "--root", ROOT])) as State;
}

function forwardOf(port: number): Forward | undefined {
    return (state().forwards ?? []).find((f) => f.listen === `127.0.0.1:${port}`);
}

function page(port: number): string {
    return run("curl", ["-s", "--max-time", "2", `http://127.0.0.1:${port}/`]).out;
}

/** An httpd serving `text`, as the README's example runs one. */
function httpd(cname: string, publish: string, text: string, ...flags: string[]): void {
    must("docker", ["exec", container, "nerdctl", "run", "-d", "--name", cname, ...flags, "-p", publish, BUSYBOX,
        "sh", "-c", `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`]);
}

const cleanup = () => removeMadeStack(name);

describe("every inner published port on the host (forwards, end to end)", function () {
    before(() => {
        requirePrerequisites();
        assert.ok(fs.existsSync(FORWARD), `no ${FORWARD} (run make toolchain)`);
        cleanup();
    });
    after(cleanup);

    it("make up starts the stack's forwarder; make load brings busybox in", () => {
        const out = must("make", ["up", `STACK=${name}`]);
        assert.match(out, new RegExp(`forwards: forwarder of ${name} started .*0 forward\\(s\\), 0 failed, direct to the wrapper's address`), out.slice(-3000));
        must("make", ["load", `STACK=${name}`, `IMAGE=${BUSYBOX}`]);
    });

    it("an inner nerdctl run -d -p answers on the host's 127.0.0.1 within seconds, with no make up", async () => {
        const wrapperId = must("docker", ["inspect", "-f", "{{.Id}}", container]).trim();
        httpd("web", `${WEB}:80`, "web-page", "--restart", "always");
        const t = await waitFor("the inner port on the host", 5, () => page(WEB).includes("web-page"));
        console.log(`      answered on 127.0.0.1:${WEB} ${t.toFixed(2)} s after nerdctl run returned`);
        assert.strictEqual(must("docker", ["inspect", "-f", "{{.Id}}", container]).trim(), wrapperId, "the wrapper was replaced");
        // Byte counts are written every 250 ms: the list is read once they are.
        await waitFor("the bytes counted", 2, () => (forwardOf(WEB)?.bytesOut ?? 0) > 0);
        const list = must("make", ["-s", "forwards", `STACK=${name}`]);
        assert.match(list, new RegExp(`127\\.0\\.0\\.1:${WEB}\\s+web \\(default\\) 0\\.0\\.0\\.0:${WEB} -> 80/tcp\\s+\\S+\\s+\\S+ \\S+\\s+\\d+(\\.\\d)? \\S*B\\s+[1-9]\\d*\\s+ok`), list);
    });

    it("make trace follows the forwarded port hop by hop: host -> forwarder, then the wrapper's own hops", () => {
        const out = must("make", ["-s", "trace", `STACK=${name}`, `PORT=${WEB}`]);
        assert.match(out, new RegExp(`host -> forwarder\\s+ok\\s+forwarder \\(pid \\d+, direct to the wrapper's address\\) listens on 127\\.0\\.0\\.1:${WEB} -> web \\(default\\)`), out);
        assert.match(out, /inner container\s+ok\s+web \(namespace default\) running/, out);
        assert.match(out, new RegExp(`verdict: ok: every hop of ${WEB} works`), out);
    });

    it("IPv6 inside: a network with an IPv6 subnet, a port published on it, traffic over IPv6, and its forward on the host's 127.0.0.1", async () => {
        const start = Date.now();
        const inWrapper = (script: string) => run("docker", ["exec", container, "sh", "-c", script]);
        // Docker turned IPv6 off in the wrapper's namespace; entry.sh turned it on.
        assert.strictEqual(inWrapper("cat /proc/sys/net/ipv6/conf/all/disable_ipv6").out.trim(), "0");
        const report = inWrapper("/scripts/doctor.sh").out;
        assert.match(report, /OK\s+ipv6\s+an IPv6 address put on a bridge in a throwaway netns; in the wrapper's namespace: on/, report);
        assert.match(report, /OK\s+ip6tables nat\s+legacy ok .*; nft ok/, report);
        must("docker", ["exec", container, "nerdctl", "network", "create", "--subnet", "fd00:44::/64", "v6net"]);
        // nerdctl 1.5.0 reads no [::]: every IPv6 address is written out.
        httpd("six", `0:0:0:0:0:0:0:0:${IPV6}:80`, "six-page", "--net", "v6net");
        must("docker", ["exec", container, "nerdctl", "run", "-d", "--name", "six-client", "--net", "v6net", BUSYBOX, "sleep", "600"]);
        const addr = must("docker", ["exec", container, "nerdctl", "inspect", "-f", "{{.NetworkSettings.GlobalIPv6Address}}", "six"]).trim();
        assert.match(addr, /^fd00:44::[0-9a-f]+$/);
        assert.match(inWrapper("ip6tables -t nat -S").out, new RegExp(`--dport ${IPV6} -j DNAT --to-destination \\[${addr}\\]:80`));
        // A new IPv6 address is tentative (duplicate address detection) for
        // about a second after the container starts: polled, not slept.
        const curl = (url: string) => inWrapper(`curl -sg --max-time 2 '${url}'`).out.includes("six-page");
        await waitFor("the inner container's IPv6 address from the wrapper", 10, () => curl(`http://[${addr}]:80/`));
        assert.ok(curl(`http://[fd00:44::1]:${IPV6}/`), "the published port at the wrapper's IPv6 address on v6net");
        const wget = (url: string) => run("docker", ["exec", container, "nerdctl", "exec", "six-client", "wget", "-qO-", url]).out.includes("six-page");
        await waitFor("the IPv6 address from another inner container", 10, () => wget(`http://[${addr}]:80/`));
        assert.ok(wget(`http://[fd00:44::1]:${IPV6}/`), "the published port from another inner container");
        await waitFor("the IPv6-published port on the host's 127.0.0.1", 5, () => page(IPV6).includes("six-page"));
        assert.match(must("make", ["-s", "forwards", `STACK=${name}`]),
            new RegExp(`127\\.0\\.0\\.1:${IPV6}\\s+six \\(default\\) \\[0:0:0:0:0:0:0:0\\]:${IPV6} -> 80/tcp .*\\bok$`, "m"));
        must("docker", ["exec", container, "nerdctl", "rm", "-f", "six", "six-client"]);
        must("docker", ["exec", container, "nerdctl", "network", "rm", "v6net"]);
        console.log(`      IPv6 case: ${((Date.now() - start) / 1000).toFixed(1)} s`);
    });

    it("nerdctl compose's published port answers, and is gone after compose down", async () => {
        const compose = `services:\n  site:\n    image: ${BUSYBOX}\n    ports: ["${COMPOSE}:80"]\n` +
            `    command: ["sh", "-c", "mkdir -p /www && echo compose-page > /www/index.html && exec httpd -f -p 80 -h /www"]\n`;
        must("docker", ["exec", "-i", container, "sh", "-c", "mkdir -p /tmp/pf && cat > /tmp/pf/compose.yaml"], compose);
        must("docker", ["exec", container, "nerdctl", "compose", "-f", "/tmp/pf/compose.yaml", "up", "-d"]);
        await waitFor("the compose service on the host", 5, () => page(COMPOSE).includes("compose-page"));
        must("docker", ["exec", container, "nerdctl", "compose", "-f", "/tmp/pf/compose.yaml", "down"]);
        await waitFor("the compose port gone", 5, () => run("curl", ["-s", "--max-time", "2", `http://127.0.0.1:${COMPOSE}/`]).code === 7);
    });

    it("a udp port: listed as not forwarded by make forwards, its host port left free (make status: in the next case)", async () => {
        must("docker", ["exec", container, "nerdctl", "run", "-d", "--name", "dns", "-p", `${UDP}:53/udp`, BUSYBOX, "sleep", "600"]);
        await waitFor("the udp port in the forwarder's table", 5, () => forwardOf(UDP)?.note === "udp is not forwarded (tcp only)");
        assert.match(must("make", ["-s", "forwards", `STACK=${name}`]),
            new RegExp(`127\\.0\\.0\\.1:${UDP}\\s+dns \\(default\\) 0\\.0\\.0\\.0:${UDP} -> 53/udp .*not forwarded: udp is not forwarded \\(tcp only\\)$`, "m"));
        // The host's udp port is left free: this test can bind it.
        const sock = dgram.createSocket("udp4");
        await new Promise<void>((ok, fail) => { sock.once("error", fail); sock.bind(UDP, "127.0.0.1", ok); });
        sock.close();
    });

    it("a host port already taken: the inner container runs, the failure is in make forwards and make status (the udp port there as not forwarded), and it heals", async () => {
        const holder = net.createServer();
        await new Promise<void>((ok) => holder.listen(TAKEN, "127.0.0.1", ok));
        try {
            httpd("taken", `${TAKEN}:80`, "taken-page");
            await waitFor("the failure reported", 5, () => /address already in use/.test(forwardOf(TAKEN)?.error ?? ""));
            assert.strictEqual(must("docker", ["exec", container, "nerdctl", "inspect", "-f", "{{.State.Running}}", "taken"]).trim(), "true");
            assert.match(must("make", ["-s", "forwards", `STACK=${name}`]), new RegExp(`127\\.0\\.0\\.1:${TAKEN}\\s+taken .*FAIL: listen tcp 127\\.0\\.0\\.1:${TAKEN}: bind: address already in use`));
            const trace = run("make", ["-s", "trace", `STACK=${name}`, `PORT=${TAKEN}`]);
            assert.notStrictEqual(trace.code, 0, trace.out);
            assert.match(trace.out, new RegExp(`verdict: FAIL at hop 2 \\(host -> forwarder\\): the forward cannot listen: listen tcp 127\\.0\\.0\\.1:${TAKEN}: bind: address already in use`), trace.out);
            const status = must("make", ["-s", "status"]);
            assert.match(status, new RegExp(`forwards  \\d+ forwarded .*1 FAILED: 127\\.0\\.0\\.1:${TAKEN} taken: listen tcp`), status);
            // One make status (seconds under load) for the previous case's udp port too.
            assert.match(status, new RegExp(`; 1 not forwarded: 127\\.0\\.0\\.1:${UDP} dns: udp is not forwarded \\(tcp only\\);`), status);
        } finally {
            await new Promise((ok) => holder.close(ok));
        }
        await waitFor("the forward once the port is free", 6, () => page(TAKEN).includes("taken-page"));
        must("docker", ["exec", container, "nerdctl", "rm", "-f", "taken", "dns"]);
    });

    it("the forwarder killed: its supervisor starts it again and the port answers", async () => {
        const old = state().pid;
        process.kill(old, "SIGKILL");
        const t = await waitFor("a new forwarder", 10, () => { const s = state(); return s.pid !== old && s.connected && page(WEB).includes("web-page"); });
        console.log(`      answering again ${t.toFixed(2)} s after kill -9 of the forwarder`);
    });

    it("docker restart of the wrapper: the forwards come back with the restart-policy container", async () => {
        must("docker", ["restart", container]);
        const t = await waitFor("the page after docker restart", 90, () => page(WEB).includes("web-page"));
        console.log(`      answering again ${t.toFixed(1)} s after docker restart returned`);
    });

    it("through streams over the engine (the transport of engines elsewhere): pages, 32 MiB intact, a port bound to the wrapper's loopback", async () => {
        const out = must("env", ["NDIND_FORWARD_TRANSPORT=stream", "make", "up", `STACK=${name}`]);
        assert.match(out, /forwards: forwarder of .* started .*streams through the engine/);
        await waitFor("the page through the streams", 10, () => page(WEB).includes("web-page"));
        must("docker", ["exec", container, "nerdctl", "exec", "web", "sh", "-c", "head -c 33554432 /dev/urandom > /www/big"]);
        const inner = must("docker", ["exec", container, "nerdctl", "exec", "web", "md5sum", "/www/big"]).split(/\s+/)[0];
        const got = must("sh", ["-c", `curl -s --max-time 60 http://127.0.0.1:${WEB}/big | md5sum`]).split(/\s+/)[0];
        assert.strictEqual(got, inner, "the 32 MiB file came through changed");
        httpd("lo", `127.0.0.1:${LOOPBACK}:80`, "loopback-page");
        await waitFor("the loopback-bound port on the host", 5, () => page(LOOPBACK).includes("loopback-page"));
    });

    it("make preview of a ports change names the running inner containers the wrapper's replacement stops", function () {
        if (must("pulumi", ["config", "get", "plugins", "--stack", name]).trim() !== "ndind") this.skip(); // our plugin's Diff says it
        must("pulumi", ["config", "set", "--stack", name, "--path", "ports[0]", `${STACK_PORT}:8080`]);
        try {
            const out = must("make", ["preview", `STACK=${name}`]);
            assert.match(out, new RegExp(`replacing ${container} stops the 2 inner container\\(s\\) running in it: ` +
                "lo \\(namespace default, no restart policy: stays stopped; nerdctl start lo\\), web \\(namespace default, restart always: comes back\\)"), out);
        } finally {
            must("pulumi", ["config", "rm", "--stack", name, "ports"]);
        }
    });

    it("nerdctl rm -f: the host port stops answering; make destroy stops the forwarder", async () => {
        must("docker", ["exec", container, "nerdctl", "rm", "-f", "web"]);
        await waitFor("the port gone", 5, () => run("curl", ["-s", "--max-time", "2", `http://127.0.0.1:${WEB}/`]).code === 7);
        assert.strictEqual(forwardOf(WEB), undefined);
        must("make", ["-s", "destroy", `STACK=${name}`]);
        assert.strictEqual(state().running, false);
    });
});

// The same on a second Docker host reached over ssh (tests/remote/host.sh):
// the wrapper's address is not reachable from here, so every connection goes
// through the agent's one `docker exec` over ssh; the port answers on this
// machine, the one the user types on.
describe("every inner published port on the host, remote engine over ssh (forwards, end to end)", function () {
    const rname = `${PREFIX}pf-${process.pid.toString(36)}-r`;
    const rcontainer = `nerdctl-dind-${rname}`;
    const host = `${PREFIX}pf-remote-${process.pid.toString(36)}`;
    const sshPort = PORTS + 50 + (process.pid % 50);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pf-remote-"));
    const path0 = env.PATH;
    const engine = `ssh://root@127.0.0.1:${sshPort}`;
    const onEngine = (...args: string[]) => must("docker", ["-H", engine, ...args]);

    before(() => {
        requirePrerequisites();
        must("sh", ["tests/remote/host.sh", "up", host, String(sshPort), dir]);
        // docker's ssh transport, and the forwarder make up starts, run the `ssh` PATH finds: the test's key.
        env.PATH = `${path.join(dir, "bin")}:${path0}`;
    });
    after(() => {
        run("make", ["-s", "destroy", `STACK=${rname}`]);
        run("pulumi", ["stack", "rm", "--yes", "--force", "--stack", rname, "--non-interactive"]);
        fs.rmSync(stackFile(rname), { force: true });
        env.PATH = path0;
        run("sh", ["tests/remote/host.sh", "down", host]);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("make up on the ssh engine starts a forwarder that streams through the engine", () => {
        must("make", ["-s", "stack", `STACK=${rname}`]);
        must("pulumi", ["config", "set", "--stack", rname, "dockerHost", engine]);
        // The README's way to bring an image to a remote stack: a tarball of this machine, streamed.
        must("pulumi", ["config", "set", "--stack", rname, "--path", "preload[0]", BUSYBOX_TAR]);
        const out = must("make", ["up", `STACK=${rname}`]);
        assert.match(out, new RegExp(`forwards: forwarder of ${rname} started .*streams through the engine`), out.slice(-3000));
    });

    it("an inner nerdctl run -d -p on the remote wrapper answers on this machine's 127.0.0.1, and stops after rm -f", async () => {
        onEngine("exec", rcontainer, "nerdctl", "run", "-d", "--name", "web", "-p", `${REMOTE_WEB}:80`, BUSYBOX,
            "sh", "-c", "mkdir -p /www && echo remote-page > /www/index.html && exec httpd -f -p 80 -h /www");
        const t = await waitFor("the remote inner port on this machine", 5, () => page(REMOTE_WEB).includes("remote-page"));
        console.log(`      answered on 127.0.0.1:${REMOTE_WEB} ${t.toFixed(2)} s after nerdctl run returned (over ssh)`);
        assert.match(must("make", ["-s", "forwards", `STACK=${rname}`]), new RegExp(`127\\.0\\.0\\.1:${REMOTE_WEB}\\s+web \\(default\\).*\\bok$`, "m"));
        onEngine("exec", rcontainer, "nerdctl", "rm", "-f", "web");
        await waitFor("the remote port gone", 5, () => run("curl", ["-s", "--max-time", "2", `http://127.0.0.1:${REMOTE_WEB}/`]).code === 7);
    });
});
