// Reads one Pulumi run's engine log (-v=9 --logtostderr --logflow: JSON
// lines with nanosecond times) and prints its phases as Markdown table rows,
// seconds. Used by bench/loop.sh.
// usage: ts-node -T bench/phases.ts LOG START END   (START, END: epoch seconds
// taken around the pulumi command)
import * as fs from "fs";

interface Event {
    t: number;
    msg: string;
}

/** "2026-12-04T22:41:16.194616671Z": whole seconds by Date, the fraction as written. */
export function seconds(time: string): number {
    const fraction = (time.split(".")[1] ?? "0").replace("Z", "");
    return Date.parse(`${time.slice(0, 19)}Z`) / 1000 + Number(`0.${fraction}`);
}

export function events(log: string): Event[] {
    return log.split("\n").filter((l) => l.startsWith("{")).map((l) => {
        const e = JSON.parse(l) as { time: string; msg: string };
        return { t: seconds(e.time), msg: e.msg };
    });
}

export interface Calls {
    count: number;
    sum: number;
    longest: number;
}

/**
 * Each provider call (Check, Diff, Create, ...) from "executing" to its
 * answer: all of them, and per resource (by the last part of its URN, its
 * name) in the order the resources were first called.
 */
export function providerCalls(ev: Event[]): { all: Calls; byResource: Map<string, Calls & { methods: string[] }> } {
    const open = new Map<string, number>();
    const all: Calls = { count: 0, sum: 0, longest: 0 };
    const byResource = new Map<string, Calls & { methods: string[] }>();
    for (const e of ev) {
        const m = /^Provider\[[^\]]*\]\.(Check|Diff|Create|Update|Read|Delete)\(([^,)]*)/.exec(e.msg);
        if (!m) continue;
        const [, method, urn] = m;
        const key = `${method} ${urn}`;
        const started = open.get(key);
        if (/^[^ ]*\)?:? executing/.test(e.msg.slice(m[0].length))) {
            open.set(key, e.t);
        } else if (started !== undefined) {
            const d = e.t - started;
            const name = urn.split("::").pop() ?? urn;
            const r = byResource.get(name) ?? { count: 0, sum: 0, longest: 0, methods: [] };
            for (const c of [all, r]) {
                c.count++;
                c.sum += d;
                c.longest = Math.max(c.longest, d);
            }
            r.methods.push(method);
            byResource.set(name, r);
            open.delete(key);
        }
    }
    return { all, byResource };
}

export function phases(ev: Event[], start: number, end: number): [string, string][] {
    const first = (re: RegExp) => ev.find((e) => re.test(e.msg))?.t;
    const last = (re: RegExp) => [...ev].reverse().find((e) => re.test(e.msg))?.t;
    const run = first(/^langhost\[nodejs\]\.Run\(.*executing/);
    const stack = first(/RegisterResource received: t=pulumi:pulumi:Stack/);
    const lastResource = last(/RegisterResource received: t=/);
    const done = first(/^langhost\[nodejs\]\.Run\(.*success/);
    const plugin = first(/Launching plugin .ndind/);
    const handshake = first(/Handshake: .*ndind/);
    const s = (a?: number, b?: number) => (a === undefined || b === undefined ? "not in the log" : (b - a).toFixed(2));
    const { all, byResource } = providerCalls(ev);
    const perResource: [string, string][] = [...byResource].map(([name, c]) => [
        `&nbsp;&nbsp;${name}: ${c.methods.join(", ")}`,
        c.sum.toFixed(2),
    ]);
    return [
        ["CLI start: state, plugins, git metadata (to the language host's run)", s(start, run)],
        ["node start and @pulumi/pulumi's load (to the stack resource)", s(run, stack)],
        ["the program: its modules and body (to its last resource)", s(stack, lastResource)],
        ["ndind plugin start (inside the line above)", s(plugin, handshake)],
        ["provider calls (Check, Diff, ...): how many: summed / the longest", `${all.count}: ${all.sum.toFixed(2)} / ${all.longest.toFixed(2)}`],
        ...perResource,
        ["the rest of the run (to the program's end)", s(lastResource, done)],
        ["CLI end", s(done, end)],
        ["total, traced (the -v=9 log slows it)", s(start, end)],
    ];
}

if (require.main === module) {
    const [file, start, end] = process.argv.slice(2);
    for (const [phase, value] of phases(events(fs.readFileSync(file, "utf8")), Number(start), Number(end))) {
        console.log(`| ${phase} | ${value} |`);
    }
}
