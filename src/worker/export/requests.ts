// The export requests' work: a classifier file in the chosen format (the current model or a saved
// checkpoint), and the "Train elsewhere" bundle for PyTorch.
import {
  MODEL_EXPORT_FORMATS,
  type ModelExportFormat,
  type RecipeStages,
  type TrainConfig,
} from '../../protocol';
import { getMeta, openStudioDb } from '../../data/db';
import { datasetImages } from '../../data/exports';
import { encodeModelFile } from '../../formats/model-file';
import type { ResNetGraph } from '../ml/resnet-graph';
import { checkpointRecord, readCheckpoint } from '../train/checkpoints';
import type { Learner } from '../train/learner';
import type { TrainingSession } from '../train/session';
import { onnxModelFile, tfjsModelZip } from './model-zip';
import { trainBundleZip } from './train-bundle';

/** A saved checkpoint, or the current model (`current`, only read when no checkpoint is named). */
export async function modelExport(
  graph: ResNetGraph,
  checkpoint: string | undefined,
  format: ModelExportFormat,
  current: () => Learner,
): Promise<{ file: Blob; fileName: string; source: string }> {
  const record = checkpoint ? await readCheckpoint(checkpoint) : await checkpointRecord(current(), 'export');
  const slug = checkpoint ? `-${checkpoint.replace(/[^\w.-]+/g, '_')}` : '';
  const source = checkpoint ? `checkpoint "${checkpoint}"` : 'the current model';
  const fileName = `art-classifier-${record.classes.length}-classes${slug}${MODEL_EXPORT_FORMATS[format].extension}`;
  const file =
    format === 'tfjs' || format === 'tfjs16'
      ? await tfjsModelZip(graph, record, source, { float16: format === 'tfjs16' })
      : format === 'onnx'
        ? await onnxModelFile(graph, record, source)
        : await encodeModelFile(record);
  return { file, fileName, source };
}

/** The dataset, the current model (ImageNet weights and a new head when none is trained) and the recipe. */
export async function trainBundle(
  graph: ResNetGraph,
  session: TrainingSession,
  config: TrainConfig,
  stages: RecipeStages,
): Promise<{ file: Blob; fileName: string; source: string; images: number }> {
  if (!session.learner) await session.prepare(config);
  const learner = session.require();
  const summary = session.summary()!;
  const source =
    learner.history.length === 0
      ? 'ImageNet weights with a new head'
      : `the current model (${learner.stage}, ${learner.history.length} epochs)`;
  const db = await openStudioDb();
  const images = await datasetImages(db);
  const file = await trainBundleZip({
    graph,
    record: await checkpointRecord(learner, summary.savedAs ?? 'start'),
    // The Train tab's settings as they are now (size, batch…), on this model's split.
    config: { ...config, seed: learner.config.seed },
    stages,
    images,
    splitSeed: await getMeta<number>(db, 'split-seed'),
    source,
  });
  const fileName = `train-elsewhere-${learner.data.classes.length}-classes-${config.size}px.zip`;
  return { file, fileName, source, images: learner.data.train.length + learner.data.valid.length };
}
