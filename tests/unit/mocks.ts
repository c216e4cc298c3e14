// Pulumi mocks for the unit tests: no engine, no Docker. Every resource the
// program asks for is recorded, so tests can assert on the whole graph.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CATALOG, RawSettings } from "../../components/settings/catalog";
import { Lookups } from "../../components/settings/validate";
import { PLUGIN_SETS, PluginSet } from "../../components/plugins/kinds";
import { ResourceKind, TWIN_TYPES } from "../../components/plugins/twins";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    /** The provider reference, urn::id, when one was given. */
    provider?: string;
}

export const recorded: Recorded[] = [];

/** The resource types of each implementation: TYPES[kind].image and so on. */
export const TYPES = Object.fromEntries(PLUGIN_SETS.map((k) => [k, {
    image: TWIN_TYPES.image[k], container: TWIN_TYPES.container[k], command: TWIN_TYPES.command[k],
}])) as Record<PluginSet, Record<ResourceKind, string>>;
const IMAGES = PLUGIN_SETS.map((k) => TYPES[k].image);
const COMMANDS = PLUGIN_SETS.map((k) => TYPES[k].command);
export const IMAGE_ID = `sha256:${"ab".repeat(32)}`;

export const VERIFY_STDOUT = [
    "### probe",
    "ok: an inner container started on the default network (MTU 1500) and answered on 172.17.0.2:39001 (iptables legacy)",
    "### iptables",
    "legacy",
    "### storage",
    "image (overlayfs cannot use fuse as its upper dir: Invalid argument); used 12 of 64358 MiB inside; the file takes 80 MiB of the folder",
    "### images",
    "REPOSITORY    TAG      IMAGE ID        CREATED          PLATFORM       SIZE       BLOB SIZE",
    "busybox       ndind    0123456789ab    2 minutes ago    linux/amd64    2.0 MiB    1.0 MiB",
    "### json",
    '{"Repository":"busybox","Tag":"ndind","ID":"0123456789ab","Size":"2.0 MiB"}',
    "",
].join("\n");

function mockState(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
    if (IMAGES.includes(type)) {
        return { ...inputs, imageId: IMAGE_ID, repoDigest: IMAGE_ID, imageName: inputs.imageName ?? inputs.name };
    }
    if (COMMANDS.includes(type)) {
        const create = String(inputs.create ?? "");
        return { ...inputs, stdout: create.includes("verify.sh") ? VERIFY_STDOUT : "ok\n", stderr: "" };
    }
    return inputs;
}

export function useMocks(stack = "dev"): void {
    pulumi.runtime.setMocks({
        newResource: (args: pulumi.runtime.MockResourceArgs) => {
            recorded.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
            return { id: `${args.name}-id`, state: mockState(args.type, args.inputs) };
        },
        call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    }, "nerdctl-dind", stack, false);
}

/** A stack as `make stack` makes it: every setting at its default, as Pulumi would pass them, and its plugins. */
export function stackDefaults(plugins: PluginSet = "ndind"): RawSettings {
    const raw: RawSettings = {};
    for (const [name, d] of Object.entries(CATALOG)) raw[name as keyof typeof CATALOG] = d.default;
    return { ...raw, plugins };
}

/** A machine with no Docker contexts. */
export const NO_CONTEXTS: Lookups = { contextEndpoint: () => undefined };

export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

export function find(type: string, name?: string): Recorded[] {
    return recorded.filter((r) => r.type === type && (name === undefined || r.name.startsWith(name)));
}

/** Mocks see a map holding a secret as one secret ({sig, value}); the engine keeps the secret to its value. */
export function unsecret(v: unknown): Record<string, unknown> {
    const o = v as Record<string, unknown>;
    return o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270" ? o.value as Record<string, unknown> : o;
}
