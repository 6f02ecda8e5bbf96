// The comlink baseline's worker (chromium.html): expose({add}) to the page.
import * as Comlink from "./node_modules/comlink/dist/esm/comlink.mjs";
Comlink.expose({ add: (a, b) => a + b });
