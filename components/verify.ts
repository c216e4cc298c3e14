// Runs scripts/verify.sh in the wrapper: fails the update unless containerd
// serves and an inner container starts with a published port that answers,
// and turns the probe, the iptables backend, the storage layout and
// `nerdctl images` into outputs.
import * as pulumi from "@pulumi/pulumi";
import { HostCommand } from "./plugins/specs";
import { execInWrapper } from "./commands";
import { StackContext } from "./context";

export interface ImageEntry {
    repository: string;
    tag: string;
    id: string;
    size: string;
}

export class Verify extends pulumi.ComponentResource {
    readonly run: HostCommand;
    readonly imageTable: pulumi.Output<string>;
    readonly imageList: pulumi.Output<ImageEntry[]>;
    readonly probe: pulumi.Output<string>;
    readonly iptablesBackend: pulumi.Output<string>;
    readonly storageLayout: pulumi.Output<string>;

    /** Runs again when any of `triggers` changes: a new wrapper, or images put in. */
    constructor(name: string, ctx: StackContext, triggers: pulumi.Input<unknown>[], opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Verify", name, {}, opts);
        this.run = execInWrapper(ctx, `${name}-run`, { script: "/scripts/verify.sh", triggers }, { parent: this });
        const parsed = this.run.stdout.apply(parseVerifyOutput);
        this.imageTable = parsed.apply((p) => p.imageTable);
        this.imageList = parsed.apply((p) => p.imageList);
        this.probe = parsed.apply((p) => p.probe);
        this.iptablesBackend = parsed.apply((p) => p.iptablesBackend);
        this.storageLayout = parsed.apply((p) => p.storageLayout);
        this.registerOutputs({
            imageTable: this.imageTable, imageList: this.imageList, probe: this.probe, iptablesBackend: this.iptablesBackend,
            storageLayout: this.storageLayout,
        });
    }
}

export interface VerifyOutput {
    /** The probe's line: an inner container started and its published port answered. */
    probe: string;
    /** The iptables backend the wrapper chose: legacy or nft. */
    iptablesBackend: string;
    /** scripts/storage.sh show: the layout (folder or image), why, and the sizes. */
    storageLayout: string;
    imageTable: string;
    imageList: ImageEntry[];
}

/** Splits verify.sh's output: sections under "### name" markers. */
export function parseVerifyOutput(stdout: string): VerifyOutput {
    const sections: Record<string, string> = {};
    for (const part of stdout.split(/^### /m).slice(1)) {
        const nl = part.indexOf("\n");
        sections[part.slice(0, nl < 0 ? part.length : nl).trim()] = nl < 0 ? "" : part.slice(nl + 1);
    }
    const imageList = (sections.json ?? "").split("\n").filter((l) => l.trim().startsWith("{")).map((line) => {
        const o = JSON.parse(line) as Record<string, string>;
        return { repository: o.Repository, tag: o.Tag, id: o.ID, size: o.Size };
    });
    return {
        probe: (sections.probe ?? "").trim(),
        iptablesBackend: (sections.iptables ?? "").trim(),
        storageLayout: (sections.storage ?? "").trim(),
        imageTable: (sections.images ?? "").trimEnd(),
        imageList,
    };
}
