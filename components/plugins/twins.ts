// Each resource's type in both implementations. A resource aliases its twin's
// type, so that when a stack's provider setting flips, the engine sees one
// resource whose provider changed (a replacement, in dependency order, with
// the container deleted first) rather than an unrelated create and delete,
// which would start the new wrapper while the old one still holds its name.
import * as pulumi from "@pulumi/pulumi";
import { PluginSet } from "./kinds";

export type ResourceKind = "image" | "container" | "command";

export const TWIN_TYPES: Record<ResourceKind, Record<PluginSet, string>> = {
    image: { pulumi: "docker:index/image:Image", ndind: "ndind:index:Image" },
    container: { pulumi: "docker:index/container:Container", ndind: "ndind:index:Container" },
    command: { pulumi: "command:local:Command", ndind: "ndind:index:Command" },
};

/** The caller's options plus the alias to the other implementation's type. */
export function withTwin(kind: ResourceKind, self: PluginSet, opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
    const other: PluginSet = self === "pulumi" ? "ndind" : "pulumi";
    return { ...opts, aliases: [...(opts.aliases ?? []), { type: TWIN_TYPES[kind][other] }] };
}
