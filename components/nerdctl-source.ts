// The edit loop of nerdctl/src: when only the nerdctl tree changed, the bundle
// step rebuilds nerdctl alone (the other components are cached) and this step
// puts the new binary into the running wrapper, which is not replaced, so its
// inner containers keep running. It runs again on a new wrapper too, whose
// image may hold an older build of the tree.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Bundle } from "./bundle";
import { engineCommand } from "./commands";
import { StackContext } from "./context";
import { HostCommand } from "./plugins/specs";

// Copied beside the old binary, then renamed over it: a nerdctl call that
// starts meanwhile runs the old one or the new one, never half a file.
const INSTALL = [
    `docker cp "$BINARY" "$CONTAINER:/usr/local/bin/.nerdctl.new"`,
    `docker exec "$CONTAINER" mv -f /usr/local/bin/.nerdctl.new /usr/local/bin/nerdctl`,
    `echo "nerdctl from nerdctl/src ($KEY) installed in $CONTAINER: $(docker exec "$CONTAINER" nerdctl --version)"`,
].join(" && ");

export class NerdctlFromSource extends pulumi.ComponentResource {
    readonly install: HostCommand;

    constructor(name: string, ctx: StackContext, bundle: Bundle, wrapperId: pulumi.Input<string>, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:NerdctlFromSource", name, {}, opts);
        const key = bundle.key;
        // docker cp streams the file, so a remote engine's wrapper gets it too.
        this.install = engineCommand(ctx, `${name}-install`, {
            create: INSTALL,
            environment: {
                CONTAINER: ctx.container,
                BINARY: path.join(ctx.projectRoot, "nerdctl", "out", bundle.dirKey, "usr", "local", "bin", "nerdctl"),
                KEY: key.slice(key.indexOf("_nerdctl-") + 1).split("_")[0],
            },
            triggers: [key, wrapperId],
        }, { parent: this, dependsOn: [bundle.build.resource] });
        this.registerOutputs({});
    }
}
