// Our wasm convolution-gradient kernels equal the cpu backend's for every convolution shape in
// ResNet50 at 128 px: the even-numbered shapes here, the odd ones in conv-backprop-128-odd.test.ts
// (files run in parallel: the cpu reference takes minutes at this size).
import { resnetConvParity } from './support/conv-compare';

resnetConvParity(128, { part: 0, of: 2 });
