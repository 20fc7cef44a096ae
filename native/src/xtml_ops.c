/*
 * xtml_ops.c - which kernel runs which builtin operator.
 *
 * A kernel whose prepare is NULL is not implemented in this build and is
 * refused like any unsupported operator.
 */
#include "xtml_internal.h"

extern const xtml_kernel_t xtml_kernel_conv_2d;
extern const xtml_kernel_t xtml_kernel_depthwise_conv_2d;
extern const xtml_kernel_t xtml_kernel_fully_connected;
extern const xtml_kernel_t xtml_kernel_average_pool_2d;
extern const xtml_kernel_t xtml_kernel_max_pool_2d;
extern const xtml_kernel_t xtml_kernel_add;
extern const xtml_kernel_t xtml_kernel_sub;
extern const xtml_kernel_t xtml_kernel_mul;
extern const xtml_kernel_t xtml_kernel_maximum;
extern const xtml_kernel_t xtml_kernel_minimum;
extern const xtml_kernel_t xtml_kernel_softmax;
extern const xtml_kernel_t xtml_kernel_logistic;
extern const xtml_kernel_t xtml_kernel_tanh;
extern const xtml_kernel_t xtml_kernel_relu;
extern const xtml_kernel_t xtml_kernel_relu6;
extern const xtml_kernel_t xtml_kernel_leaky_relu;
extern const xtml_kernel_t xtml_kernel_hard_swish;
extern const xtml_kernel_t xtml_kernel_quantize;
extern const xtml_kernel_t xtml_kernel_dequantize;
extern const xtml_kernel_t xtml_kernel_reshape;
extern const xtml_kernel_t xtml_kernel_squeeze;
extern const xtml_kernel_t xtml_kernel_expand_dims;
extern const xtml_kernel_t xtml_kernel_shape;
extern const xtml_kernel_t xtml_kernel_transpose;
extern const xtml_kernel_t xtml_kernel_pack;
extern const xtml_kernel_t xtml_kernel_unpack;
extern const xtml_kernel_t xtml_kernel_split;
extern const xtml_kernel_t xtml_kernel_concatenation;
extern const xtml_kernel_t xtml_kernel_pad;
extern const xtml_kernel_t xtml_kernel_padv2;
extern const xtml_kernel_t xtml_kernel_strided_slice;
extern const xtml_kernel_t xtml_kernel_resize_nearest_neighbor;
extern const xtml_kernel_t xtml_kernel_mean;
extern const xtml_kernel_t xtml_kernel_arg_max;
extern const xtml_kernel_t xtml_kernel_svdf;
extern const xtml_kernel_t xtml_kernel_arg_min;
extern const xtml_kernel_t xtml_kernel_sum;
extern const xtml_kernel_t xtml_kernel_reduce_max;
extern const xtml_kernel_t xtml_kernel_reduce_min;
extern const xtml_kernel_t xtml_kernel_gather;
extern const xtml_kernel_t xtml_kernel_gather_nd;
extern const xtml_kernel_t xtml_kernel_embedding_lookup;
extern const xtml_kernel_t xtml_kernel_slice;
extern const xtml_kernel_t xtml_kernel_space_to_depth;
extern const xtml_kernel_t xtml_kernel_depth_to_space;
extern const xtml_kernel_t xtml_kernel_space_to_batch_nd;
extern const xtml_kernel_t xtml_kernel_batch_to_space_nd;
extern const xtml_kernel_t xtml_kernel_mirror_pad;
extern const xtml_kernel_t xtml_kernel_broadcast_to;
extern const xtml_kernel_t xtml_kernel_broadcast_args;
extern const xtml_kernel_t xtml_kernel_cumsum;
extern const xtml_kernel_t xtml_kernel_resize_bilinear;
extern const xtml_kernel_t xtml_kernel_batch_matmul;
/* xtml_math.c */
extern const xtml_kernel_t xtml_kernel_abs;
extern const xtml_kernel_t xtml_kernel_neg;
extern const xtml_kernel_t xtml_kernel_sqrt;
extern const xtml_kernel_t xtml_kernel_rsqrt;
extern const xtml_kernel_t xtml_kernel_exp;
extern const xtml_kernel_t xtml_kernel_log;
extern const xtml_kernel_t xtml_kernel_floor;
extern const xtml_kernel_t xtml_kernel_ceil;
extern const xtml_kernel_t xtml_kernel_round;
extern const xtml_kernel_t xtml_kernel_logical_not;
extern const xtml_kernel_t xtml_kernel_zeros_like;
extern const xtml_kernel_t xtml_kernel_cast;
extern const xtml_kernel_t xtml_kernel_fill;
extern const xtml_kernel_t xtml_kernel_div;
extern const xtml_kernel_t xtml_kernel_squared_difference;
extern const xtml_kernel_t xtml_kernel_equal;
extern const xtml_kernel_t xtml_kernel_not_equal;
extern const xtml_kernel_t xtml_kernel_less;
extern const xtml_kernel_t xtml_kernel_less_equal;
extern const xtml_kernel_t xtml_kernel_greater;
extern const xtml_kernel_t xtml_kernel_greater_equal;
extern const xtml_kernel_t xtml_kernel_logical_and;
extern const xtml_kernel_t xtml_kernel_logical_or;
extern const xtml_kernel_t xtml_kernel_select_v2;
/* xtml_arith.c */
extern const xtml_kernel_t xtml_kernel_floor_div;
extern const xtml_kernel_t xtml_kernel_floor_mod;
extern const xtml_kernel_t xtml_kernel_prelu;
extern const xtml_kernel_t xtml_kernel_add_n;
/* xtml_activations.c */
extern const xtml_kernel_t xtml_kernel_elu;
extern const xtml_kernel_t xtml_kernel_l2_normalization;
extern const xtml_kernel_t xtml_kernel_log_softmax;
/* xtml_transpose_conv.c */
extern const xtml_kernel_t xtml_kernel_transpose_conv;

const xtml_kernel_t *xtml_kernel_for(int32_t builtin) {
    switch (builtin) {
    case XTML_OP_CONV_2D:
        return &xtml_kernel_conv_2d;
    case XTML_OP_DEPTHWISE_CONV_2D:
        return &xtml_kernel_depthwise_conv_2d;
    case XTML_OP_FULLY_CONNECTED:
        return &xtml_kernel_fully_connected;
    case XTML_OP_AVERAGE_POOL_2D:
        return &xtml_kernel_average_pool_2d;
    case XTML_OP_MAX_POOL_2D:
        return &xtml_kernel_max_pool_2d;
    case XTML_OP_ADD:
        return &xtml_kernel_add;
    case XTML_OP_SUB:
        return &xtml_kernel_sub;
    case XTML_OP_MUL:
        return &xtml_kernel_mul;
    case XTML_OP_MAXIMUM:
        return &xtml_kernel_maximum;
    case XTML_OP_MINIMUM:
        return &xtml_kernel_minimum;
    case XTML_OP_SOFTMAX:
        return &xtml_kernel_softmax;
    case XTML_OP_LOGISTIC:
        return &xtml_kernel_logistic;
    case XTML_OP_TANH:
        return &xtml_kernel_tanh;
    case XTML_OP_RELU:
        return &xtml_kernel_relu;
    case XTML_OP_RELU6:
        return &xtml_kernel_relu6;
    case XTML_OP_LEAKY_RELU:
        return &xtml_kernel_leaky_relu;
    case XTML_OP_HARD_SWISH:
        return &xtml_kernel_hard_swish;
    case XTML_OP_QUANTIZE:
        return &xtml_kernel_quantize;
    case XTML_OP_DEQUANTIZE:
        return &xtml_kernel_dequantize;
    case XTML_OP_RESHAPE:
        return &xtml_kernel_reshape;
    case XTML_OP_SQUEEZE:
        return &xtml_kernel_squeeze;
    case XTML_OP_EXPAND_DIMS:
        return &xtml_kernel_expand_dims;
    case XTML_OP_SHAPE:
        return &xtml_kernel_shape;
    case XTML_OP_TRANSPOSE:
        return &xtml_kernel_transpose;
    case XTML_OP_PACK:
        return &xtml_kernel_pack;
    case XTML_OP_UNPACK:
        return &xtml_kernel_unpack;
    case XTML_OP_SPLIT:
        return &xtml_kernel_split;
    case XTML_OP_CONCATENATION:
        return &xtml_kernel_concatenation;
    case XTML_OP_PAD:
        return &xtml_kernel_pad;
    case XTML_OP_PADV2:
        return &xtml_kernel_padv2;
    case XTML_OP_STRIDED_SLICE:
        return &xtml_kernel_strided_slice;
    case XTML_OP_RESIZE_NEAREST_NEIGHBOR:
        return &xtml_kernel_resize_nearest_neighbor;
    case XTML_OP_MEAN:
        return &xtml_kernel_mean;
    case XTML_OP_ARG_MAX:
        return &xtml_kernel_arg_max;
    case XTML_OP_SVDF:
        return &xtml_kernel_svdf;
    case XTML_OP_ARG_MIN:
        return &xtml_kernel_arg_min;
    case XTML_OP_SUM:
        return &xtml_kernel_sum;
    case XTML_OP_REDUCE_MAX:
        return &xtml_kernel_reduce_max;
    case XTML_OP_REDUCE_MIN:
        return &xtml_kernel_reduce_min;
    case XTML_OP_GATHER:
        return &xtml_kernel_gather;
    case XTML_OP_GATHER_ND:
        return &xtml_kernel_gather_nd;
    case XTML_OP_EMBEDDING_LOOKUP:
        return &xtml_kernel_embedding_lookup;
    case XTML_OP_SLICE:
        return &xtml_kernel_slice;
    case XTML_OP_SPACE_TO_DEPTH:
        return &xtml_kernel_space_to_depth;
    case XTML_OP_DEPTH_TO_SPACE:
        return &xtml_kernel_depth_to_space;
    case XTML_OP_SPACE_TO_BATCH_ND:
        return &xtml_kernel_space_to_batch_nd;
    case XTML_OP_BATCH_TO_SPACE_ND:
        return &xtml_kernel_batch_to_space_nd;
    case XTML_OP_MIRROR_PAD:
        return &xtml_kernel_mirror_pad;
    case XTML_OP_BROADCAST_TO:
        return &xtml_kernel_broadcast_to;
    case XTML_OP_BROADCAST_ARGS:
        return &xtml_kernel_broadcast_args;
    case XTML_OP_CUMSUM:
        return &xtml_kernel_cumsum;
    case XTML_OP_RESIZE_BILINEAR:
        return &xtml_kernel_resize_bilinear;
    case XTML_OP_BATCH_MATMUL:
        return &xtml_kernel_batch_matmul;
    case 101: /* ABS */
        return &xtml_kernel_abs;
    case 59: /* NEG */
        return &xtml_kernel_neg;
    case 75: /* SQRT */
        return &xtml_kernel_sqrt;
    case 76: /* RSQRT */
        return &xtml_kernel_rsqrt;
    case 47: /* EXP */
        return &xtml_kernel_exp;
    case 73: /* LOG */
        return &xtml_kernel_log;
    case 8: /* FLOOR */
        return &xtml_kernel_floor;
    case 104: /* CEIL */
        return &xtml_kernel_ceil;
    case 116: /* ROUND */
        return &xtml_kernel_round;
    case 87: /* LOGICAL_NOT */
        return &xtml_kernel_logical_not;
    case 93: /* ZEROS_LIKE */
        return &xtml_kernel_zeros_like;
    case 53: /* CAST */
        return &xtml_kernel_cast;
    case 94: /* FILL */
        return &xtml_kernel_fill;
    case 42: /* DIV */
        return &xtml_kernel_div;
    case 99: /* SQUARED_DIFFERENCE */
        return &xtml_kernel_squared_difference;
    case 71: /* EQUAL */
        return &xtml_kernel_equal;
    case 72: /* NOT_EQUAL */
        return &xtml_kernel_not_equal;
    case 58: /* LESS */
        return &xtml_kernel_less;
    case 63: /* LESS_EQUAL */
        return &xtml_kernel_less_equal;
    case 61: /* GREATER */
        return &xtml_kernel_greater;
    case 62: /* GREATER_EQUAL */
        return &xtml_kernel_greater_equal;
    case 86: /* LOGICAL_AND */
        return &xtml_kernel_logical_and;
    case 84: /* LOGICAL_OR */
        return &xtml_kernel_logical_or;
    case 123: /* SELECT_V2 */
        return &xtml_kernel_select_v2;
    case 90: /* FLOOR_DIV */
        return &xtml_kernel_floor_div;
    case 95: /* FLOOR_MOD */
        return &xtml_kernel_floor_mod;
    case 54: /* PRELU */
        return &xtml_kernel_prelu;
    case 106: /* ADD_N */
        return &xtml_kernel_add_n;
    case 111: /* ELU */
        return &xtml_kernel_elu;
    case 11: /* L2_NORMALIZATION */
        return &xtml_kernel_l2_normalization;
    case 50: /* LOG_SOFTMAX */
        return &xtml_kernel_log_softmax;
    case 67: /* TRANSPOSE_CONV */
        return &xtml_kernel_transpose_conv;
    default:
        return NULL;
    }
}
