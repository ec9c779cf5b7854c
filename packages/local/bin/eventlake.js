#!/usr/bin/env node
// The eventlake CLI. Runs the TypeScript sources directly through tsx, so there is no build step.
import { register } from "tsx/esm/api";

// The AWS SDK versions are pinned (package.json); its notice about future releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

register();
await import("../src/cli/main.ts");
