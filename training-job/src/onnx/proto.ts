import protobuf from 'protobufjs';

/**
 * The subset of onnx.proto (IR version 8) that slipway writes and reads. Field numbers are ONNX's.
 * Repeated numeric fields are declared packed: every protobuf parser accepts packed encoding, and it
 * keeps a 100k-feature weight matrix at 4 bytes a float instead of 5.
 */
const ONNX_SUBSET = `
syntax = "proto2";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; FLOATS = 6; INTS = 7; STRINGS = 8; }
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7 [packed = true];
  repeated int64 ints = 8 [packed = true];
  repeated bytes strings = 9;
  optional AttributeType type = 20;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string domain = 7;
}
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message TensorProto {
  repeated int64 dims = 1 [packed = true];
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
`;

const root = protobuf.parse(ONNX_SUBSET, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

/** ONNX TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7, STRING: 8 } as const;

/** ONNX AttributeProto.AttributeType values. */
export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

export interface Attribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[] | Float32Array;
  ints?: number[];
  strings?: Uint8Array[];
  t?: Tensor;
}

export interface Tensor {
  name: string;
  dims: number[];
  data_type: number;
  /** Numbers, little-endian; strings go in `string_data` instead. */
  raw_data?: Uint8Array;
  string_data?: Uint8Array[];
}

export interface Node {
  name: string;
  op_type: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: Attribute[];
}

export interface ValueInfo {
  name: string;
  type: {
    tensor_type: { elem_type: number; shape: { dim: ({ dim_value: number } | { dim_param: string })[] } };
  };
}

export interface Model {
  ir_version: number;
  opset_import: { domain: string; version: number }[];
  producer_name: string;
  producer_version: string;
  doc_string?: string;
  graph: { name: string; node: Node[]; initializer: Tensor[]; input: ValueInfo[]; output: ValueInfo[] };
  metadata_props: { key: string; value: string }[];
}

/** Serializes a model. protobufjs writes fields in declaration order, so equal models give equal bytes. */
export function encodeModel(model: Model): Uint8Array {
  return ModelProto.encode(model).finish();
}

/** Reads `metadata_props` and the graph's op types back from a model file (for checks and `slipway predict`). */
export function decodeModel(bytes: Uint8Array): {
  metadata: Record<string, string>;
  ops: string[];
} {
  const decoded = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: Array }) as {
    metadata_props?: { key: string; value: string }[];
    graph?: { node?: { op_type: string }[] };
  };
  const metadata: Record<string, string> = Object.create(null); // keys come from the file
  for (const { key, value } of decoded.metadata_props ?? []) metadata[key] = value;
  return { metadata, ops: (decoded.graph?.node ?? []).map((n) => n.op_type) };
}
