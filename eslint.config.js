// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", ".sst/**", ".eventlake/**", "**/dist/**", "coverage/**", "sst-env.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  {
    // The product does not know the stand-ins: packages/emulators may import packages/core, never the reverse
    // (ARCHITECTURE.md, "Modules"), and neither may the code that ships to AWS (functions/, stacks/, adapters).
    files: ["packages/core/**", "packages/adapters/src/**", "functions/**", "stacks/**", "sst.config.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@eventlake/emulators", "@eventlake/emulators/*"], message: "product code must not import the AWS stand-ins (packages/emulators)." },
            { group: ["**/emulators/src/*", "**/emulators/src/**"], message: "product code must not import the AWS stand-ins (packages/emulators)." },
            { group: ["@eventlake/local", "@eventlake/local/*", "**/local/src/**"], message: "product code must not import the local runtime (packages/local)." },
          ],
        },
      ],
    },
  },
  {
    // The stand-ins stand alone: packages/local wires them into the pipeline, not the other way round.
    files: ["packages/emulators/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@eventlake/local", "@eventlake/local/*", "**/local/src/**"], message: "the stand-ins must not import the local runtime (packages/local)." }] },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
