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

// One docker exec streams the binary beside the old one and renames it over
// it: a nerdctl call that starts meanwhile runs the old one or the new one,
// never half a file. Streamed, it reaches a remote engine's wrapper too.
const NEW = "/usr/local/bin/.nerdctl.new";
const INSTALL = `v=$(docker exec -i "$CONTAINER" sh -c 'cat >${NEW} && chmod 755 ${NEW} && mv -f ${NEW} /usr/local/bin/nerdctl && nerdctl --version' <"$BINARY") && ` +
    `echo "nerdctl from nerdctl/src ($KEY) installed in $CONTAINER: $v"`;

export class NerdctlFromSource extends pulumi.ComponentResource {
    readonly install: HostCommand;

    constructor(name: string, ctx: StackContext, bundle: Bundle, wrapperId: pulumi.Input<string>, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:NerdctlFromSource", name, {}, opts);
        const key = bundle.key;
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
