// The doctor's ipv6 check (scripts/doctor-ipv6.sh) on made-up hosts: a root
// with or without proc/sys/net/ipv6 and its own proc/cmdline, given through
// NDIND_DOCTOR_ROOT, and the wrapper's record of what entry.sh could do. The
// check runs as scripts/doctor.sh runs it (sourced, its lines through
// report); the throwaway netns is not made here (NO_EXERCISE), the
// end-to-end tests exercise it.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

const HARNESS = `set -eu
report() { printf '%s|%s|%s|%s\\n' "$1" "$2" "$3" "\${4:-}"; }
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
NDIND_RUN=$FAKE_RUN
ON_HOST=
KCONFIG=$FAKE_KCONFIG
KCONFIG_SRC=\${FAKE_KCONFIG_SRC:-}
NO_EXERCISE="not root"
. scripts/doctor-verdict.sh
. scripts/doctor-ipv6.sh
check_ipv6
`;

interface Host { ipv6: boolean; cmdline?: string; wrapper?: string; kconfig?: string }

/** The check's lines ("LEVEL|check|detail|fix") on a made-up host. */
function check(h: Host): string[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-doctor-ipv6-"));
    try {
        fs.mkdirSync(path.join(dir, "proc", "sys", "net"), { recursive: true });
        fs.mkdirSync(path.join(dir, "run"));
        if (h.ipv6) fs.mkdirSync(path.join(dir, "proc", "sys", "net", "ipv6", "conf", "all"), { recursive: true });
        fs.writeFileSync(path.join(dir, "proc", "cmdline"), `${h.cmdline ?? "root=/dev/vda ro"}\n`);
        if (h.wrapper) fs.writeFileSync(path.join(dir, "run", "ipv6"), `${h.wrapper}\n`);
        const kconfig = path.join(dir, "config");
        fs.writeFileSync(kconfig, h.kconfig ?? "");
        const r = spawnSync("sh", ["-c", HARNESS], {
            cwd: ROOT, encoding: "utf8", env: {
                ...process.env, NDIND_DOCTOR_ROOT: dir, FAKE_RUN: path.join(dir, "run"),
                FAKE_KCONFIG: kconfig, FAKE_KCONFIG_SRC: h.kconfig === undefined ? "" : "/proc/config.gz",
            },
        });
        assert.strictEqual(r.status, 0, r.stderr);
        return r.stdout.split("\n").filter((l) => l);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const WORKS = "IPv4 networks, published ports and the forwards work";
const FAILS = "IPv6 subnets (nerdctl network create --subnet fd00:44::/64, 2.x's --ipv6) and ports published on them do not";

describe("doctor: ipv6", function () {
    it("booted with ipv6.disable=1: WARN naming the boot option, what works and what does not", () => {
        const [line, ...rest] = check({ ipv6: false, cmdline: "root=/dev/vda ipv6.disable=1 quiet" });
        assert.deepStrictEqual(rest, []);
        const [level, name, detail, fix] = line.split("|");
        assert.strictEqual(level, "WARN");
        assert.strictEqual(name, "ipv6");
        assert.match(detail, /^no \/proc\/sys\/net\/ipv6: the kernel was booted with ipv6\.disable=1; /);
        assert.ok(detail.includes(WORKS) && detail.includes(FAILS), detail);
        assert.match(fix, /remove ipv6\.disable=1 from the boot loader's kernel command line/);
    });

    it("a kernel built without IPv6: WARN naming CONFIG_IPV6", () => {
        const [level, , detail, fix] = check({ ipv6: false }).join("\n").split("|");
        assert.strictEqual(level, "WARN");
        assert.match(detail, /the kernel has no IPv6 \[CONFIG_IPV6=\?\]/);
        assert.ok(detail.includes(FAILS), detail);
        assert.match(fix, /CONFIG_IPV6=y/);
    });

    it("IPv6 built as a module, not loaded: WARN with modprobe ipv6; built in but absent here: WARN pointing at the command line", () => {
        const [, , mDetail, mFix] = check({ ipv6: false, kconfig: "CONFIG_IPV6=m\n" }).join("\n").split("|");
        assert.match(mDetail, /the ipv6 module is not loaded \[CONFIG_IPV6=m\]/);
        assert.strictEqual(mFix, "modprobe ipv6");
        const [, , yDetail, yFix] = check({ ipv6: false, kconfig: "CONFIG_IPV6=y\n" }).join("\n").split("|");
        assert.match(yDetail, /IPv6 is built in \[CONFIG_IPV6=y\] but this namespace has none/);
        assert.match(yFix, /kernel command line/);
    });

    it("a wrapper whose entry.sh could not turn IPv6 on: WARN with its reason", () => {
        const lines = check({ ipv6: true, wrapper: "off: net.ipv6.conf.all.disable_ipv6 cannot be written: Read-only file system" });
        assert.strictEqual(lines.length, 1, lines.join("\n"));
        assert.match(lines[0], /^WARN\|ipv6\|the wrapper's namespace has IPv6 off: net\.ipv6\.conf\.all\.disable_ipv6 cannot be written: Read-only file system; IPv4/);
    });

    it("IPv6 present, on in the wrapper: OK saying so", () => {
        assert.deepStrictEqual(check({ ipv6: true, wrapper: "on" }),
            ["OK|ipv6|/proc/sys/net/ipv6 present, not exercised (not root); in the wrapper's namespace: on (scripts/entry.sh turns it on; Docker turns it off)|"]);
    });
});
