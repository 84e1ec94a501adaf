// Our wasm convolution-gradient kernels equal the cpu backend's for every convolution shape in
// ResNet50 at 128 px: the odd-numbered shapes here, the even ones in conv-backprop-128.test.ts.
import { resnetConvParity } from './support/conv-compare';

resnetConvParity(128, { part: 1, of: 2 });
