// The resources below are served by our own provider plugin (provider/, Go),
// Pulumi package `ndind`; toolchain/provider.sh builds and installs it at the
// version in provider/VERSION, which every resource asks for.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

export const PLUGIN_VERSION = fs.readFileSync(path.join(__dirname, "..", "..", "provider", "VERSION"), "utf8").trim();

/** The token of one of the plugin's resource types. */
export function token(type: "Command" | "Image" | "Container"): string {
    return `ndind:index:${type}`;
}

/** The caller's options, plus the plugin version every resource asks for. */
export function pluginOptions(opts: pulumi.CustomResourceOptions | undefined): pulumi.CustomResourceOptions {
    return { ...opts, version: PLUGIN_VERSION };
}
