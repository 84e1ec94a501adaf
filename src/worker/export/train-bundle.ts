// "Train elsewhere": the recipe handed to PyTorch's own (distributed) training. One zip: the portable
// dataset (images in class folders + labels.csv with the split), the starting weights (a checkpoint
// folder, as in the project file), the network as graph.json, the recipe as recipe.json (every
// number read from the constants the app trains with), and train.py + requirements.txt + README.md.
// train.py writes trained-with-pytorch.artmodel, which the studio imports as a checkpoint.
import { strToU8 } from 'fflate';
import type { CheckpointRecord } from '../../data/schema';
import type { DatasetImage } from '../../formats/dataset-zip';
import { datasetFiles } from '../../formats/dataset-zip';
import { addCheckpoint, ZipStream } from '../../formats/project-zip';
import { ADAMW_DEFAULTS } from '../../ml/adamw';
import { AUGMENT } from '../../ml/augment';
import { CAFFE_MEAN_BGR } from '../../ml/preprocess';
import { groupRates, ONE_CYCLE_DEFAULTS, parseLearningRate } from '../../ml/schedule';
import {
  BN_ADAPT_IMAGES,
  epochStatistics,
  labelSmoothing,
  mixupAlpha,
  type RecipeStages,
  type TrainConfig,
} from '../../protocol';
import { BN_MOMENTUM } from '../ml/batchnorm';
import { ResNetGraph } from '../ml/resnet-graph';
import { HEAD_DROPOUT, HEAD_EPSILON, HEAD_HIDDEN } from '../train/head';
import trainPy from './train-elsewhere/train.py?raw';
import readme from './train-elsewhere/README.md?raw';

export const BUNDLE_FORMAT = 'deep-art-studio/train-bundle';
export const START_FOLDER = 'start';
export const REQUIREMENTS = 'torch>=1.13\ntorchvision>=0.14\nnumpy\npillow\n';

export interface BundleRecipe {
  format: typeof BUNDLE_FORMAT;
  version: 1;
  classes: string[];
  seed: number;
  size: number;
  batchSize: number;
  config: TrainConfig;
  stages: {
    name: 'frozen' | 'unfrozen';
    frozen: boolean;
    epochs: number;
    maxLr: string;
    /** Peak rates of the layer groups [stem–res3, res4–res5, head], as fast.ai's slice(). */
    groupLrs: number[];
  }[];
  /** The training loss: label smoothing ε and mixup's α (0: off). */
  loss: { labelSmoothing: number; mixup: number };
  oneCycle: typeof ONE_CYCLE_DEFAULTS;
  adamw: typeof ADAMW_DEFAULTS;
  /**
   * train.py always normalises over the whole batch (synced across processes), as fast.ai does;
   * after each epoch it re-measures the body's statistics as the app does (epochStatistics).
   */
  batchNorm: {
    momentum: number;
    statistics: 'whole-batch';
    epochStatistics: NonNullable<TrainConfig['epochStatistics']>;
    statisticsImages: number;
  };
  augmentation: typeof AUGMENT;
  preprocessing: { mode: 'caffe'; channelOrder: 'BGR'; mean: number[] };
  start: { stage: CheckpointRecord['stage']; epochs: number; source: string };
  outputName: string;
}

/** The body as train.py reads it: the graph's nodes up to the body output, each with its layer group. */
export function bundleGraph(graph: ResNetGraph): {
  nodes: (ResNetGraph['nodes'][number] & { group: 0 | 1 })[];
  head: { epsilon: number; dropout: readonly number[]; hidden: number };
} {
  const end = graph.nodes.findIndex((n) => n.name === graph.bodyOutput);
  return {
    nodes: graph.nodes.slice(0, end + 1).map((n) => ({ ...n, group: ResNetGraph.layerGroup(n.name) })),
    head: { epsilon: HEAD_EPSILON, dropout: HEAD_DROPOUT, hidden: HEAD_HIDDEN },
  };
}

export function bundleRecipe(
  record: CheckpointRecord,
  config: TrainConfig,
  stages: RecipeStages,
  source: string,
): BundleRecipe {
  const stage = (name: 'frozen' | 'unfrozen', epochs: number, maxLr: string) => ({
    name,
    frozen: name === 'frozen',
    epochs,
    maxLr,
    groupLrs: groupRates(parseLearningRate(maxLr), 3),
  });
  return {
    format: BUNDLE_FORMAT,
    version: 1,
    classes: record.classes,
    seed: config.seed,
    size: config.size,
    batchSize: config.batchSize,
    config,
    stages: [
      stage('frozen', stages.frozenEpochs, stages.frozenLr),
      stage('unfrozen', stages.unfrozenEpochs, stages.unfrozenLr),
    ],
    loss: { labelSmoothing: labelSmoothing(config), mixup: mixupAlpha(config) },
    oneCycle: ONE_CYCLE_DEFAULTS,
    adamw: ADAMW_DEFAULTS,
    batchNorm: {
      momentum: BN_MOMENTUM,
      statistics: 'whole-batch',
      epochStatistics: epochStatistics(config),
      statisticsImages: BN_ADAPT_IMAGES,
    },
    augmentation: AUGMENT,
    preprocessing: { mode: 'caffe', channelOrder: 'BGR', mean: [...CAFFE_MEAN_BGR] },
    start: { stage: record.stage, epochs: record.history.length, source },
    outputName: 'trained-with-pytorch',
  };
}

const json = (value: unknown) => strToU8(JSON.stringify(value, null, 2) + '\n');

/** The bundle as a zip, streamed (the starting weights are ~100 MB). */
export async function trainBundleZip(options: {
  graph: ResNetGraph;
  record: CheckpointRecord;
  config: TrainConfig;
  stages: RecipeStages;
  images: readonly DatasetImage[];
  splitSeed: number | undefined;
  source: string;
}): Promise<Blob> {
  const { graph, record, config, stages, images, splitSeed, source } = options;
  const recipe = bundleRecipe(record, config, stages, source);
  const zip = new ZipStream();
  for (const [path, bytes] of await datasetFiles(
    images.filter((i) => record.classes.includes(i.className)),
    { splitSeed },
  ))
    await zip.add(path, [bytes]);
  await addCheckpoint(zip, record, START_FOLDER);
  await zip.add('graph.json', [json(bundleGraph(graph))]);
  await zip.add('recipe.json', [json(recipe)]);
  await zip.add('train.py', [strToU8(trainPy)]);
  await zip.add('requirements.txt', [strToU8(REQUIREMENTS)]);
  await zip.add('README.md', [strToU8(readme)]);
  return zip.finish();
}
