// The seam itself: each resource kind's type in both implementations, and
// the aliases that make a flip of the provider setting a replacement.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { PLUGIN_SETS } from "../../components/plugins/kinds";
import { TWIN_TYPES, withTwin } from "../../components/plugins/twins";

describe("providers seam", () => {
    it("names the @pulumi/docker and @pulumi/command types and our plugin's", () => {
        assert.deepStrictEqual(TWIN_TYPES, {
            image: { pulumi: "docker:index/image:Image", ndind: "ndind:index:Image" },
            container: { pulumi: "docker:index/container:Container", ndind: "ndind:index:Container" },
            command: { pulumi: "command:local:Command", ndind: "ndind:index:Command" },
        });
    });

    it("aliases every resource to its twin's type, keeping the caller's options", () => {
        const parent = {} as pulumi.Resource;
        for (const kind of PLUGIN_SETS) {
            const other = kind === "pulumi" ? "ndind" : "pulumi";
            for (const r of ["image", "container", "command"] as const) {
                const opts = withTwin(r, kind, { parent, aliases: [{ name: "old" }] });
                assert.strictEqual(opts.parent, parent);
                assert.deepStrictEqual(opts.aliases, [{ name: "old" }, { type: TWIN_TYPES[r][other] }]);
            }
        }
    });
});
