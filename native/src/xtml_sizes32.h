/*
 * xtml_sizes32.h - sizeof of the arena's types on a 32-bit target (rv32imc,
 * ilp32), for 64-bit builds sizing a device's arena (xtml_arena_size_for).
 * Written by `make -C native sizes32` (tools/gen_sizes32.sh); do not edit.
 */
#ifndef XTML_SIZES32_H
#define XTML_SIZES32_H

#define XTML_SIZE32_binary_params_t 200u
#define XTML_SIZE32_call_once_params_t 12u
#define XTML_SIZE32_conv_node_t 96u
#define XTML_SIZE32_delay_params_t 24u
#define XTML_SIZE32_dequantize_params_t 16u
#define XTML_SIZE32_fc_node_t 56u
#define XTML_SIZE32_fft_params_t 32u
#define XTML_SIZE32_framer_params_t 36u
#define XTML_SIZE32_if_params_t 16u
#define XTML_SIZE32_l2norm_params_t 16u
#define XTML_SIZE32_log_softmax_params_t 32u
#define XTML_SIZE32_lstm_node_t 140u
#define XTML_SIZE32_overlap_add_params_t 28u
#define XTML_SIZE32_pool_params_t 68u
#define XTML_SIZE32_quantize_params_t 40u
#define XTML_SIZE32_signal_params_t 16u
#define XTML_SIZE32_softmax_params_t 28u
#define XTML_SIZE32_spectral_params_t 36u
#define XTML_SIZE32_stacker_params_t 32u
#define XTML_SIZE32_svdf_node_t 56u
#define XTML_SIZE32_unary_params_t 60u
#define XTML_SIZE32_var_params_t 8u
#define XTML_SIZE32_while_params_t 16u
#define XTML_SIZE32_xtml_arg_max_params_t 16u
#define XTML_SIZE32_xtml_arith_params_t 116u
#define XTML_SIZE32_xtml_batch_matmul_params_t 76u
#define XTML_SIZE32_xtml_broadcast_args_params_t 16u
#define XTML_SIZE32_xtml_broadcast_params_t 60u
#define XTML_SIZE32_xtml_concat_params_t 12u
#define XTML_SIZE32_xtml_copy_params_t 4u
#define XTML_SIZE32_xtml_cumsum_params_t 32u
#define XTML_SIZE32_xtml_embedding_params_t 20u
#define XTML_SIZE32_xtml_ext_t 24u
#define XTML_SIZE32_xtml_gather_nd_params_t 40u
#define XTML_SIZE32_xtml_gather_params_t 20u
#define XTML_SIZE32_xtml_graph_t 36u
#define XTML_SIZE32_xtml_interleave_params_t 12u
#define XTML_SIZE32_xtml_math_params_t 160u
#define XTML_SIZE32_xtml_mean_params_t 84u
#define XTML_SIZE32_xtml_mirror_pad_params_t 108u
#define XTML_SIZE32_xtml_node_t 28u
#define XTML_SIZE32_xtml_pad_params_t 112u
#define XTML_SIZE32_xtml_reduce_params_t 84u
#define XTML_SIZE32_xtml_resize_bilinear_params_t 44u
#define XTML_SIZE32_xtml_resize_nearest_params_t 24u
#define XTML_SIZE32_xtml_reverse_params_t 36u
#define XTML_SIZE32_xtml_s2b_params_t 48u
#define XTML_SIZE32_xtml_s2d_params_t 24u
#define XTML_SIZE32_xtml_shape_params_t 32u
#define XTML_SIZE32_xtml_slice_params_t 60u
#define XTML_SIZE32_xtml_split_v_params_t 8u
#define XTML_SIZE32_xtml_tconv_params_t 80u
#define XTML_SIZE32_xtml_transpose_params_t 84u
#define XTML_SIZE32_xtml_update_slice_params_t 68u
#define XTML_SIZE32_xtml_var_t 12u

#ifdef XTML_NO_DETAIL
#define XTML_SIZE32_xtml_ctx_t 72u
#else
#define XTML_SIZE32_xtml_ctx_t 132u
#endif

#endif /* XTML_SIZES32_H */
