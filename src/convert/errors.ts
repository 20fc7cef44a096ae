// The one error every step of a conversion throws: a code a program can test and
// a message a person can act on (the node, tensor or file, and what to do).

export type ConvertErrorCode =
  | 'NOT_A_MODEL'            // neither ONNX nor TensorFlow Lite
  | 'TRUNCATED_MODEL'        // a protobuf or flatbuffer that ends too soon or points outside itself
  | 'BAD_MODEL'              // decodes, but is inconsistent (missing tensor, wrong constant size)
  | 'UNSUPPORTED_OPSET'      // ONNX default-domain opset outside 11..18, or another domain
  | 'UNSUPPORTED_OPERATOR'   // an operator (or an attribute of one) that does not map
  | 'DYNAMIC_SHAPE'          // a dimension that is not known; fix it with --input-shape
  | 'BAD_CALIBRATION'        // no calibration data, or data that does not fit the inputs
  | 'BAD_OPTION'             // an option with a value that cannot be used
  | 'BAD_DATA'               // data for compare that does not fit the models
  | 'UNSUPPORTED_MODEL';     // quantized already, several subgraphs, and the like

export class ConvertError extends Error {
  override name = 'ConvertError';
  readonly code: ConvertErrorCode;

  constructor(code: ConvertErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** An operator that does not map: its node name, op type and why. */
export function unsupported(node: { name: string; opType: string }, why: string): ConvertError {
  return new ConvertError('UNSUPPORTED_OPERATOR', `node '${node.name}' (${node.opType}): ${why}`);
}
