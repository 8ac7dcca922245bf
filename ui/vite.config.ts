import { defineConfig } from "vite";

// Preact via esbuild's automatic JSX runtime; no inline scripts or styles in
// the output, so the app's CSP can forbid them.
export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true, modulePreload: { polyfill: false }, assetsInlineLimit: 0 },
  server: { port: 5173, strictPort: true },
  clearScreen: false,
});
