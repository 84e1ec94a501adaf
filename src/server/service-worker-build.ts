// Builds the service worker (src/sw/service-worker.ts) after the app's bundle is written: the list of
// the build's files to precache and a version derived from their contents go into sw.js, so a new
// build is a new service worker (the browser compares sw.js byte for byte) and an unchanged build is
// not. The ResNet50 weights are left out of the list: the ML worker caches them as it loads them.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import type { Plugin } from 'vite';

function filesUnder(root: string, dir = root): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory()
      ? filesUnder(root, path)
      : [relative(root, path).split('\\').join('/')];
  });
}

export interface ServiceWorkerOptions {
  source: string;
  /** The weights' model.json, relative to the site root (cached by the ML worker, not precached). */
  modelJson: string;
  /** The Cache Storage cache the ML worker keeps the weights in. */
  weightsCache: string;
  /** Paths the worker never answers (the image relay). */
  networkOnly: string;
}

export function serviceWorker(options: ServiceWorkerOptions): Plugin {
  let outDir = 'dist';
  let root = process.cwd();
  return {
    name: 'service-worker',
    apply: 'build',
    configResolved(config) {
      root = config.root;
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const models = options.modelJson.slice(0, options.modelJson.lastIndexOf('/') + 1).replace(/^\//, '');
      const files = filesUnder(outDir)
        .filter((f) => f !== 'sw.js' && !f.startsWith(models))
        .sort();
      const hash = createHash('sha256');
      for (const f of files) hash.update(f).update(readFileSync(join(outDir, f)));
      const source = readFileSync(resolve(root, options.source), 'utf8');
      const code = ts
        .transpileModule(source, {
          compilerOptions: { target: ts.ScriptTarget.ES2022, removeComments: false },
        })
        .outputText.replace(/^export \{\};\s*$/m, '')
        .replace('__SW_VERSION__', hash.digest('hex').slice(0, 16))
        .replace('__SW_PRECACHE__', JSON.stringify(files.map((f) => `/${f}`)).replace(/'/g, "\\'"))
        .replace('__SW_MODEL_JSON__', options.modelJson)
        .replace('__SW_WEIGHTS_CACHE__', options.weightsCache)
        .replace('__SW_NETWORK_ONLY__', options.networkOnly);
      writeFileSync(join(outDir, 'sw.js'), code);
    },
  };
}
