// Foreign-architecture platforms: the host report's platforms check
// (scripts/doctor-platforms.sh) on made-up binfmt_misc folders, given through
// NDIND_BINFMT_DIR, and `make binfmt`'s refusals (toolchain/binfmt.sh)
// against a scripted docker. Nothing here registers a handler: every case of
// binfmt.sh stops before it would.
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const NATIVE = ({ x86_64: "linux/amd64", aarch64: "linux/arm64" } as Record<string, string>)[
    execFileSync("uname", ["-m"], { encoding: "utf8" }).trim()];

// Debian's magic for each (qemu-user-static 7.2's /usr/lib/binfmt.d), and two
// that are not ELF or not known.
const MAGIC: Record<string, string> = {
    "qemu-aarch64": "7f454c460201010000000000000000000200b700",
    "qemu-arm": "7f454c4601010100000000000000000002002800",
    "qemu-riscv64": "7f454c460201010000000000000000000200f300",
    "qemu-ppc64le": "7f454c4602010100000000000000000002001500",
    "qemu-ppc64": "7f454c4602020100000000000000000000020015",
    "qemu-s390x": "7f454c4602020100000000000000000000020016",
    "qemu-x86_64": "7f454c4602010100000000000000000002003e00",
    "qemu-mips64el": "7f454c4602010100000000000000000002000800",
    "python3.11": "a70d0d0a",
    "qemu-alpha": "7f454c4602010100000000000000000002002690",
};

interface Handler { name: string; enabled?: boolean; flags?: string; offset?: number }

function binfmtDir(handlers: Handler[], status = "enabled"): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-binfmt-"));
    fs.writeFileSync(path.join(dir, "status"), `${status}\n`);
    fs.writeFileSync(path.join(dir, "register"), "");
    for (const h of handlers) {
        fs.writeFileSync(path.join(dir, h.name), [
            h.enabled === false ? "disabled" : "enabled",
            `interpreter /usr/libexec/qemu-binfmt/${h.name}-binfmt-P`,
            `flags: ${h.flags ?? "POF"}`,
            `offset ${h.offset ?? 0}`,
            `magic ${MAGIC[h.name]}`,
            "mask ffffffffffffff00fffffffffffffffffeffffff",
            "",
        ].join("\n"));
    }
    return dir;
}

function sh(script: string, env: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string } {
    const r = spawnSync("sh", ["-c", script], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });
    return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

/** binfmt_handlers' lines for a made-up folder, as "NAME PLATFORM STATE FLAGS". */
function handlers(hs: Handler[]): string[] {
    const dir = binfmtDir(hs);
    try {
        const r = sh('. scripts/doctor-platforms.sh && binfmt_handlers "$D"', { D: dir });
        assert.strictEqual(r.code, 0, r.err);
        return r.out.split("\n").filter((l) => l).map((l) => l.split(" ").slice(0, 4).join(" "));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** check_platforms' line as "LEVEL|check|detail|fix". */
function check(hs: Handler[], status = "enabled"): string {
    const dir = binfmtDir(hs, status);
    try {
        const r = sh(`set -eu
report() { printf '%s|%s|%s|%s\\n' "$1" "$2" "$3" "\${4:-}"; }
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
NO_EXERCISE= ON_HOST=
. scripts/doctor-platforms.sh
check_platforms`, { NDIND_BINFMT_DIR: dir });
        assert.strictEqual(r.code, 0, r.err);
        const lines = r.out.split("\n").filter((l) => l);
        assert.strictEqual(lines.length, 1, r.out);
        return lines[0];
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

// What make binfmt registers on either kind of host (x86_64 is native on one).
const FIVE = ["qemu-aarch64", "qemu-arm", "qemu-riscv64", "qemu-ppc64le", "qemu-s390x", "qemu-x86_64"];

describe("platforms: binfmt_misc handlers read", function () {
    this.timeout(30000);

    it("the platform comes from the ELF header the handler matches, not its name", () => {
        assert.deepStrictEqual(handlers([
            { name: "qemu-aarch64" }, { name: "qemu-arm" }, { name: "qemu-ppc64" }, { name: "qemu-ppc64le" },
            { name: "qemu-mips64el", flags: "OC" }, { name: "python3.11", flags: "" }, { name: "qemu-alpha", enabled: false },
        ]), [
            "python3.11 - enabled -",
            "qemu-aarch64 linux/arm64 enabled POF",
            "qemu-alpha elf-machine-0x9026 disabled POF",
            "qemu-arm linux/arm/v7 enabled POF",
            "qemu-mips64el linux/mips64le enabled OC",
            "qemu-ppc64 linux/ppc64 enabled POF",
            "qemu-ppc64le linux/ppc64le enabled POF",
        ]);
    });

    it("a handler at a non-zero offset matches no ELF header", () => {
        assert.deepStrictEqual(handlers([{ name: "qemu-aarch64", offset: 2 }]), ["qemu-aarch64 - enabled POF"]);
    });
});

describe("platforms: the host report's check", function () {
    this.timeout(30000);

    it("every platform make binfmt registers, with F: OK, each named with its handler", () => {
        const line = check(FIVE.map((name) => ({ name })));
        assert.match(line, new RegExp(`^OK\\|platforms\\|${NATIVE} \\(native\\), `));
        assert.match(line, /linux\/arm64 \(qemu-aarch64\)/);
        assert.match(line, /linux\/s390x \(qemu-s390x\)/);
    });

    it("none registered: WARN, the native platform only, the missing ones named, make binfmt the fix", () => {
        const [level, name, detail, fix] = check([]).split("|");
        assert.deepStrictEqual([level, name], ["WARN", "platforms"]);
        assert.match(detail, new RegExp(`^${NATIVE} \\(native\\); not: .*linux/arm64.*linux/s390x`));
        assert.doesNotMatch(detail, new RegExp(`not: .*${NATIVE}`), "the native platform listed as missing");
        assert.match(fix, /^make binfmt on the engine's host/);
    });

    it("aarch64 only: it runs, the others are missing", () => {
        const [level, , detail] = check([{ name: "qemu-aarch64" }]).split("|");
        assert.strictEqual(level, "WARN");
        assert.match(detail, /, linux\/arm64 \(qemu-aarch64\); not: /);
        assert.doesNotMatch(detail, /not: .*linux\/arm64/);
    });

    it("registered without the F flag: not counted, and said (an emulator path is not in a container's root)", () => {
        const [level, , detail] = check(FIVE.map((name) => ({ name, flags: name === "qemu-aarch64" ? "OC" : "POF" }))).split("|");
        assert.strictEqual(level, "WARN");
        assert.doesNotMatch(detail, /linux\/arm64 \(qemu-aarch64\)/);
        assert.match(detail, /registered without the F flag, so not inside containers: linux\/arm64$/);
    });

    it("a disabled handler, or binfmt_misc disabled as a whole: nothing foreign runs", () => {
        assert.match(check([{ name: "qemu-aarch64", enabled: false }]).split("|")[2], /not: linux\/arm64/);
        const [level, , detail, fix] = check(FIVE.map((name) => ({ name })), "disabled").split("|");
        assert.strictEqual(level, "WARN");
        assert.match(detail, /only: binfmt_misc is disabled$/);
        assert.match(fix, /echo 1 > \/proc\/sys\/fs\/binfmt_misc\/status/);
    });
});

describe("make binfmt: refuses where the engine's kernel is not this one", function () {
    this.timeout(30000);
    let fake: string;

    // A docker that answers `info` as $INFO does, `context show` as default.
    // binfmt.sh reads the stack's file where toolchain/lib.sh's stack_file says.
    before(() => {
        fake = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-binfmt-docker-"));
        fs.writeFileSync(path.join(fake, "docker"), `#!/bin/sh
case "$1 $2" in
"context show") echo default ;;
"info "*) [ -n "$INFO" ] && echo "$INFO" ;;
*) exit 1 ;;
esac
`, { mode: 0o755 });
    });
    after(() => fs.rmSync(fake, { recursive: true, force: true }));

    function binfmt(env: NodeJS.ProcessEnv, stack?: string): { code: number; err: string } {
        // --check: a refusal missing would otherwise go on to register handlers.
        const r = spawnSync("sh", ["toolchain/binfmt.sh", "--check", ...(stack ? [stack] : [])], {
            cwd: ROOT, encoding: "utf8",
            env: { ...process.env, DOCKER_HOST: "", DOCKER_CONTEXT: "", PATH: `${fake}:${process.env.PATH}`, ...env },
        });
        return { code: r.status ?? 1, err: `${r.stdout}${r.stderr}` };
    }

    it("the local engine on this machine's kernel: accepted", () => {
        const release = execFileSync("uname", ["-r"], { encoding: "utf8" }).trim();
        const r = binfmt({ INFO: `Debian GNU/Linux 12 (bookworm)|${release}` });
        assert.strictEqual(r.code, 0, r.err);
        assert.match(r.err, /make binfmt: the local Docker engine runs on this machine's kernel/);
    });

    for (const host of ["ssh://me@arm.example", "tcp://10.0.0.2:2376"]) {
        it(`DOCKER_HOST=${host}: refused, naming the host`, () => {
            const r = binfmt({ DOCKER_HOST: host });
            assert.strictEqual(r.code, 1, r.err);
            assert.match(r.err, new RegExp(`ERROR: make binfmt: DOCKER_HOST is ${host}, not this machine: .*run make binfmt on that host`));
        });
    }

    it("a stack whose dockerHost is remote: refused, naming the stack's setting", () => {
        const name = `unit-binfmt-${process.pid}`;
        const file = path.join(ROOT, "stacks", `Pulumi.${name}.yaml`);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, "config:\n  nerdctl-dind:dockerHost: ssh://root@pi.local\n");
        try {
            const r = binfmt({ INFO: "Debian GNU/Linux 12 (bookworm)|0.0" }, name);
            assert.strictEqual(r.code, 1, r.err);
            assert.match(r.err, new RegExp(`stack ${name}'s dockerHost is ssh://root@pi.local, not this machine`));
        } finally {
            fs.rmSync(file, { force: true });
        }
    });

    it("Docker Desktop: refused, its VM registers its own", () => {
        const r = binfmt({ INFO: "Docker Desktop|6.10.14-linuxkit" });
        assert.strictEqual(r.code, 1, r.err);
        assert.match(r.err, /the local Docker engine is Docker Desktop, whose VM registers its own qemu handlers/);
    });

    it("a local socket into a VM (another kernel): refused, naming both kernels", () => {
        const r = binfmt({ INFO: "Ubuntu 24.04 LTS|6.8.0-lima" });
        assert.strictEqual(r.code, 1, r.err);
        assert.match(r.err, /runs kernel 6\.8\.0-lima, this machine \S+: it is in a VM/);
    });
});
