// A command run with sh on the machine running Pulumi: `create` when the
// resource is made (and again, as a replacement, when a trigger changes),
// `update` for other changes if given, `delete` on destroy.
import { randomBytes } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { changedKeys, runOrThrow } from "./run";

export interface LocalCommandInputs {
    create: string;
    update?: string;
    delete?: string;
    dir?: string;
    environment?: Record<string, string>;
    /** Values whose change re-runs `create` as a replacement. */
    triggers?: unknown[];
}

interface LocalCommandState extends LocalCommandInputs {
    stdout: string;
    stderr: string;
}

const provider: pulumi.dynamic.ResourceProvider<LocalCommandInputs, LocalCommandState> = {
    async diff(_id, olds, news) {
        const changes = changedKeys(olds, news, ["create", "update", "delete", "dir", "environment", "triggers"]);
        const replace = changes.includes("triggers") || (news.update === undefined && changes.length > 0);
        return { changes: changes.length > 0, replaces: replace ? changes : [] };
    },
    async create(inputs) {
        const out = await runOrThrow("sh", ["-c", inputs.create], { env: inputs.environment, cwd: inputs.dir });
        const id = randomBytes(8).toString("hex");
        return { id, outs: { ...inputs, ...out } };
    },
    async update(_id, _olds, news) {
        const out = await runOrThrow("sh", ["-c", news.update ?? news.create], { env: news.environment, cwd: news.dir });
        return { outs: { ...news, ...out } };
    },
    async delete(_id, props) {
        if (!props.delete) return;
        await runOrThrow("sh", ["-c", props.delete], { env: props.environment, cwd: props.dir });
    },
};

export class LocalCommand extends pulumi.dynamic.Resource {
    declare readonly stdout: pulumi.Output<string>;
    declare readonly stderr: pulumi.Output<string>;

    constructor(name: string, args: { [K in keyof LocalCommandInputs]: pulumi.Input<LocalCommandInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, { ...args, stdout: undefined, stderr: undefined }, opts, "command", "Local");
    }
}
