// make trace's judgement (tools/trace-judge.ts) on the facts scripts/trace.sh
// prints, as seen in a real wrapper, with one hop broken at a time: the
// verdict names the hop that broke, not one before or after it.
import * as assert from "assert";
import { conntrackSummary, curlProbe, HostFacts, judge, listenersOn, parseWrapperFacts, verdict } from "../../tools/trace-judge";

// scripts/trace.sh's output for a working port (a wrapper of this session, the legacy backend).
const WORKING = `backend legacy
choice auto; rules present: legacy 0, nft 0
wrapper_addr 172.17.0.2
entry PREROUTING yes
entry OUTPUT yes
dnat CNI-DN-3dcaa71ac672c8615294e 10.4.0.4:80 reached
other_backend nft
other_count 0
container default web running 0 1140 10.4.0.4 80
listener [::]:80 httpd (pid 1140)
probe inner ok 10.4.0.4:80 answered (HTTP 200)
probe nat ok 172.17.0.2:8080 answered (HTTP 200)
conntrack 2
conntrack_entry tcp      6 119 TIME_WAIT src=172.17.0.1 dst=172.17.0.2 sport=43844 dport=8080 src=10.4.0.4 dst=172.17.0.1 sport=80 dport=43844 [ASSURED] mark=0 use=1
conntrack_entry tcp      6 119 TIME_WAIT src=172.17.0.2 dst=172.17.0.2 sport=54406 dport=8080 src=10.4.0.4 dst=172.17.0.2 sport=80 dport=54406 [ASSURED] mark=0 use=1
`;

function host(over: Partial<HostFacts> = {}): HostFacts {
    return {
        stack: "dev", port: "18700", container: "nerdctl-dind-dev", engine: "local", wrapperState: "running", wrapperHealth: "healthy",
        publish: { hostIp: "127.0.0.1", hostPort: "18700", innerPort: "8080", proto: "tcp" },
        published: ["127.0.0.1:18700->8080/tcp"], configured: ["127.0.0.1:18700->8080/tcp"], hostListeners: ["127.0.0.1:18700"],
        hostProbe: { status: "ok", detail: "127.0.0.1:18700 answered (HTTP 200)" }, ...over,
    };
}

/** WORKING with lines dropped (by their start) and lines added. */
function facts(drop: string[], add: string[] = []): string {
    return [...WORKING.split("\n").filter((l) => !drop.some((d) => l.startsWith(d))), ...add].join("\n");
}

const failedHost = { hostProbe: { status: "fail" as const, detail: "127.0.0.1:18700: Empty reply from server" } };

function failingHop(h: HostFacts, wrapperText?: string): string | undefined {
    return verdict(judge(h, wrapperText === undefined ? undefined : parseWrapperFacts(wrapperText)))?.row.hop;
}

describe("make trace: the verdict", () => {
    it("a working port: every hop ok, no verdict", () => {
        const rows = judge(host(), parseWrapperFacts(WORKING));
        assert.strictEqual(verdict(rows), undefined, JSON.stringify(rows, null, 1));
        assert.deepStrictEqual(rows.map((r) => r.hop), ["wrapper", "host -> wrapper", "wrapper nat (legacy)", "portmap chain",
            "other backend (nft)", "inner container", "inner listener", "conntrack"]);
    });

    it("the wrapper stopped or missing: the wrapper hop, and nothing further is judged", () => {
        assert.strictEqual(failingHop(host({ wrapperState: "exited" })), "wrapper");
        const rows = judge(host({ wrapperState: undefined }));
        assert.strictEqual(rows.length, 1);
        assert.match(rows[0].fix ?? "", /make up STACK=dev/);
    });

    it("a host port the wrapper does not publish: the publish hop, with the setting to add", () => {
        const rows = judge(host({ publish: undefined, port: "18701" }));
        assert.strictEqual(verdict(rows)?.row.hop, "host -> wrapper");
        assert.match(rows[1].fix ?? "", /pulumi config set --stack dev --path 'ports\[1\]' 18701:INNERPORT/);
    });

    it("a port the stack's ports list but the running wrapper lacks: make up", () => {
        const rows = judge(host({ publish: undefined, port: "18701", configured: ["127.0.0.1:18701->8081/tcp"] }));
        assert.match(verdict(rows)?.row.why ?? "", /running wrapper was made without it/);
    });

    it("the DNAT rule removed: the portmap chain, though the host probe failed first", () => {
        const w = facts(["dnat ", "probe nat"], ["probe nat fail 172.17.0.2:8080: Couldn't connect to server"]);
        const rows = judge(host(failedHost), parseWrapperFacts(w));
        assert.strictEqual(verdict(rows)?.row.hop, "portmap chain");
        assert.match(verdict(rows)?.row.why ?? "", /no DNAT rule for :8080, though web publishes it/);
    });

    it("a DNAT rule in a CNI-DN chain that CNI-HOSTPORT-DNAT does not jump to counts as missing", () => {
        const w = facts(["dnat "], ["dnat CNI-DN-3dcaa71ac672c8615294e 10.4.0.4:80 unreached"]);
        assert.strictEqual(failingHop(host(), w), "portmap chain");
    });

    it("a DNAT rule to an address no container has: a rule left behind", () => {
        const w = facts([], ["dnat CNI-DN-old 10.4.0.9:80 reached"]);
        const v = verdict(judge(host(), parseWrapperFacts(w)));
        assert.strictEqual(v?.row.hop, "portmap chain");
        assert.match(v?.row.why ?? "", /sends :8080 to 10\.4\.0\.9:80, but web is at 10\.4\.0\.4:80/);
    });

    it("rules for the port in the other backend: that hop, even while traffic flows", () => {
        const w = facts(["other_count"], ["other_count 2", "other_rule -A CNI-DN-leftover -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.4.0.99:80"]);
        const v = verdict(judge(host(), parseWrapperFacts(w)));
        assert.strictEqual(v?.row.hop, "other backend (nft)");
        assert.match(v?.row.why ?? "", /uses legacy, but the nft backend has rules for :8080/);
    });

    it("rules of the other backend for other ports are no finding", () => {
        assert.strictEqual(failingHop(host(), facts(["other_count"], ["other_count 7"])), undefined);
    });

    it("the inner server gone: the inner listener, not the NAT hops whose probes failed with it", () => {
        const w = facts(["listener", "probe"], ["probe inner fail 10.4.0.4:80: Couldn't connect to server", "probe nat fail 172.17.0.2:8080: Couldn't connect to server"]);
        const v = verdict(judge(host(failedHost), parseWrapperFacts(w)));
        assert.strictEqual(v?.row.hop, "inner listener");
        assert.match(v?.row.why ?? "", /nothing in web listens on 80\/tcp/);
    });

    it("a server on loopback only: the inner listener, saying so", () => {
        const w = facts(["listener"], ["listener 127.0.0.1:80 httpd (pid 9)"]);
        assert.match(verdict(judge(host(), parseWrapperFacts(w)))?.row.why ?? "", /loopback only/);
    });

    it("the inner container exited (its rules went with it): the inner container, not the portmap chain", () => {
        const w = facts(["dnat ", "container", "listener", "probe"], ["container default web exited 137 0 - 80", "probe nat fail 172.17.0.2:8080: Couldn't connect"]);
        const rows = judge(host(failedHost), parseWrapperFacts(w));
        assert.strictEqual(verdict(rows)?.row.hop, "inner container");
        assert.match(rows.find((r) => r.hop === "inner container")?.found ?? "", /web exited \(exit 137\)/);
        assert.strictEqual(rows.find((r) => r.hop === "portmap chain")?.status, "-");
    });

    it("the wrapper answers on its own address but the host does not: the host -> wrapper hop", () => {
        assert.strictEqual(failingHop(host(failedHost), WORKING), "host -> wrapper");
    });

    it("conntrack: where NAT sent the connections", () => {
        const w = parseWrapperFacts(WORKING);
        assert.strictEqual(conntrackSummary(w, "8080", w.containers[0]), "2 entries for :8080: 2 to 10.4.0.4:80 (web)");
    });
});

describe("make trace: probes and sockets", () => {
    it("curl's outcomes: a reply proves the path; a bare connection does only where nothing proxies", () => {
        assert.strictEqual(curlProbe("a:1", 0, "200 0.000100", true).status, "ok");
        assert.strictEqual(curlProbe("a:1", 1, "curl: (1) Received HTTP/0.9 when not allowed\n000 0.000200", true).status, "ok");
        assert.strictEqual(curlProbe("a:1", 28, "curl: (28) Operation timed out\n000 0.000300", false).status, "ok");
        assert.strictEqual(curlProbe("a:1", 28, "curl: (28) Operation timed out\n000 0.000300", true).status, "fail");
        assert.strictEqual(curlProbe("a:1", 28, "curl: (28) Connection timed out\n000 0.000000", false).detail, "a:1: no connection within 3 s");
        assert.strictEqual(curlProbe("a:1", 52, "curl: (52) Empty reply from server\n000 0.000100", true).detail, "a:1: Empty reply from server");
    });

    it("listening sockets on a port, from /proc/net/tcp and tcp6", () => {
        const tcp = [
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
            "   0: 0100007F:491C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1",
            "   1: 0100007F:491C 0100007F:A000 01 00000000:00000000 00:00000000 00000000     0        0 1235 1",
            "   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1236 1",
            "   0: 00000000000000000000000000000000:491C 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1237 1",
        ].join("\n");
        assert.deepStrictEqual(listenersOn(tcp, "18716"), ["127.0.0.1:18716", "[::]:18716"]);
    });
});
