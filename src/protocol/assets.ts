// Where the pretrained weights live and the cache that keeps them: one declaration read by the page,
// the ML worker, the service worker's build and Vite's config.

/** The ResNet50 weights' model.json, relative to the site's base URL. */
export const MODEL_JSON_PATH = 'models/resnet50/model.json';
/** The ImageNet class names, relative to the site's base URL. */
export const LABELS_PATH = 'models/imagenet-labels.json';
/**
 * The Cache Storage cache that keeps model.json and its weight shards. The ML worker fills it as it
 * loads them; the service worker answers /models/ from it offline. The weights do not change with the
 * app's version, so one cache serves every version (a new name if they ever change).
 */
export const WEIGHTS_CACHE = 'weights-v1';
