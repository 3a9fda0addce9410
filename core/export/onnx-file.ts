// Writes a graph (onnx-graph.ts) as an ONNX model file: protobuf through the onnx-proto definitions, weights as raw
// little-endian float32 initializers, and metadata properties that say how to prepare an image for it.
// onnx-proto is CommonJS without named exports that Node's ES module loader can see: take its namespace object.
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
import type { Graph, GraphNode } from './onnx-graph';

/** ONNX IR version 8 with opset 13 (Softmax over one axis; LRN, Conv, MaxPool, Gemm as the engine computes them). */
const IR_VERSION = 8;
export const OPSET = 13;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

function attribute(name: string, value: NonNullable<GraphNode['attributes']>[string]): OnnxTypes.IAttributeProto {
  const type = onnx.AttributeProto.AttributeType;
  if ('ints' in value) return { name, type: type.INTS, ints: value.ints };
  if ('int' in value) return { name, type: type.INT, i: value.int };
  if ('float' in value) return { name, type: type.FLOAT, f: value.float };
  return { name, type: type.STRING, s: new TextEncoder().encode(value.string) };
}

function valueInfo(name: string, dims: (number | string)[]): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

export function encodeOnnx(graph: Graph, metadata: Record<string, string>, producer: { name: string; version: string }, graphName: string): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: producer.name,
    producerVersion: producer.version,
    graph: {
      name: graphName,
      node: graph.nodes.map((n, i) => ({
        name: `${n.op}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([name, value]) => attribute(name, value)),
      })),
      initializer: graph.initializers.map((t) => ({
        name: t.name,
        dims: t.dims,
        dataType: FLOAT,
        // Every platform the app runs on is little-endian, as ONNX's raw data is.
        rawData: new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength),
      })),
      input: [valueInfo(graph.input.name, graph.input.dims)],
      output: graph.outputs.map((o) => valueInfo(o.name, o.dims)),
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}
