// Our wasm convolution-gradient kernels equal the cpu backend's for every convolution shape in
// ResNet50 at 64 px (files per size run in parallel).
import { resnetConvParity } from './support/conv-compare';

resnetConvParity(64);
