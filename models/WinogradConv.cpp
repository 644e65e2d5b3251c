#include "models/WinogradConv.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <vector>

#if defined(DOPPEL_HAVE_DNNL)
#include <torch/version.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "models/OpenMpThreads.h"
#endif

namespace doppel::models {
namespace {

std::atomic<bool> enabled{true};
std::atomic<int64_t> forwardCount{0};

}  // namespace

bool winogradBuilt() {
#if defined(DOPPEL_HAVE_DNNL)
    return true;
#else
    return false;
#endif
}

void setWinogradEnabled(bool on) {
    enabled = on;
}

int64_t winogradForwardCount() {
    return forwardCount;
}

#if !defined(DOPPEL_HAVE_DNNL)

torch::Tensor conv3x3(torch::nn::Conv2d conv, const torch::Tensor& x) {
    return conv->forward(x);
}

bool winogradAvailable() {
    return false;
}

#else

namespace {

// Kernel 3, stride 1, padding 1 ("same"), no groups or dilation, fp32 on the CPU, maps of at
// least 16x16 (smaller ones gained nothing in the measurements).
bool appliesTo(const torch::nn::Conv2d& conv, const torch::Tensor& x) {
    const auto& o = conv->options;
    const auto k = *o.kernel_size(), s = *o.stride(), d = *o.dilation();
#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 1)
    const auto* pad = c10::get_if<torch::ExpandingArray<2> >(&o.padding());
#else
    const auto* pad = std::get_if<torch::ExpandingArray<2> >(&o.padding());
#endif
    return enabled && x.device().is_cpu() && x.scalar_type() == torch::kFloat32 && x.dim() == 4 &&
           k[0] == 3 && k[1] == 3 && s[0] == 1 && s[1] == 1 && d[0] == 1 && d[1] == 1 &&
           o.groups() == 1 && pad && (**pad)[0] == 1 && (**pad)[1] == 1 && conv->bias.defined() &&
           x.size(2) >= 16 && x.size(3) >= 16 && conv->weight.scalar_type() == torch::kFloat32;
}

using dnnl::memory;
using Tag = memory::format_tag;

dnnl::engine& cpuEngine() {
    static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    return engine;
}

// The three primitives of one shape (batch, in, out, height, width) and thread count, created
// once: oneDNN sizes a primitive's scratchpad and work split for the OpenMP threads of the thread
// creating it, and it must not run with more (the decoders run with one thread each, previews and
// LIAE with all), so the count is part of the key. oneDNN picks its blocked layouts (format
// `any`); the tensors are reordered to and from them around each call.
struct ShapePrimitives {
    bool supported = false;
    dnnl::convolution_forward::primitive_desc forward;
    dnnl::convolution_backward_data::primitive_desc backwardData;
    dnnl::convolution_backward_weights::primitive_desc backwardWeights;
};

using ShapeKey = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int>;

ShapeKey keyFor(const torch::Tensor& x, int64_t outChannels) {
    return {x.size(0), x.size(1), outChannels,
            x.size(2), x.size(3), OpenMpThreads::instance().threadsHere()};
}

const ShapePrimitives& primitivesFor(const ShapeKey& key) {
    static std::mutex mutex;
    static std::map<ShapeKey, std::unique_ptr<ShapePrimitives> > cache;
    std::lock_guard<std::mutex> lock(mutex);
    auto& slot = cache[key];
    if (slot) return *slot;
    slot = std::make_unique<ShapePrimitives>();
    [[maybe_unused]] const auto [n, c, k, h, w, threads] = key;
    auto any = [](memory::dims dims) {
        return memory::desc(dims, memory::data_type::f32, Tag::any);
    };
    const memory::dims src{n, c, h, w}, weights{k, c, 3, 3}, bias{k}, dst{n, k, h, w};
    const memory::dims stride{1, 1}, pad{1, 1};
    const auto algo = dnnl::algorithm::convolution_winograd;
    // Scratchpads come from the caller, so the decoders' two threads can run one shape at once.
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    try {
        slot->forward = dnnl::convolution_forward::primitive_desc(
            dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, any(src),
                                            any(weights), any(bias), any(dst), stride, pad, pad),
            attr, cpuEngine());
        slot->backwardData = dnnl::convolution_backward_data::primitive_desc(
            dnnl::convolution_backward_data::desc(algo, any(src), any(weights), any(dst), stride,
                                                  pad, pad),
            attr, cpuEngine(), slot->forward);
        slot->backwardWeights = dnnl::convolution_backward_weights::primitive_desc(
            dnnl::convolution_backward_weights::desc(algo, any(src), any(weights), any(bias),
                                                     any(dst), stride, pad, pad),
            attr, cpuEngine(), slot->forward);
        slot->supported = true;
    } catch (const dnnl::error&) {
        slot->supported = false;  // no Winograd kernel here (CPU or channel counts): ATen's conv
    }
    return *slot;
}

// A tensor's own layout as a oneDNN descriptor (dense NCHW, NHWC or any other strides).
memory::desc describe(const torch::Tensor& t) {
    memory::dims dims(t.sizes().begin(), t.sizes().end());
    memory::dims strides(t.strides().begin(), t.strides().end());
    return memory::desc(dims, memory::data_type::f32, strides);
}

// Buffers a call allocates through torch (so they count where torch's memory is counted) and
// keeps alive until the call's stream has finished.
class CallBuffers {
  public:
    memory allocate(const memory::desc& desc) {
        torch::Tensor buffer = torch::empty({int64_t(desc.get_size())}, torch::kUInt8);
        buffers_.push_back(buffer);
        return memory(desc, cpuEngine(), buffer.data_ptr());
    }
    memory wrap(const torch::Tensor& t) { return memory(describe(t), cpuEngine(), t.data_ptr()); }
    /// `from` in layout `want`, reordered into a new buffer when the layouts differ.
    memory as(const memory& from, const memory::desc& want, dnnl::stream& stream) {
        if (from.get_desc() == want) return from;
        memory to = allocate(want);
        memory source = from;
        dnnl::reorder(source, to).execute(stream, source, to);
        return to;
    }
    /// Copies `result` into `out` (reordering when the layouts differ).
    void copyOut(const memory& result, const torch::Tensor& out, dnnl::stream& stream) {
        memory source = result, target = wrap(out);
        dnnl::reorder(source, target).execute(stream, source, target);
    }

  private:
    std::vector<torch::Tensor> buffers_;
};

torch::Tensor dense(const torch::Tensor& t) {
    return t.is_non_overlapping_and_dense() ? t : t.contiguous();
}

class WinogradConvFunction : public torch::autograd::Function<WinogradConvFunction> {
  public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x,
                                 torch::Tensor weight, torch::Tensor bias) {
        x = dense(x);
        weight = dense(weight);
        bias = bias.contiguous();
        const ShapePrimitives& p = primitivesFor(keyFor(x, weight.size(0)));
        ctx->save_for_backward({x, weight});
        torch::Tensor out = torch::empty({x.size(0), weight.size(0), x.size(2), x.size(3)},
                                         x.options().memory_format(x.suggest_memory_format()));
        dnnl::stream stream(cpuEngine());
        CallBuffers buffers;
        memory src = buffers.as(buffers.wrap(x), p.forward.src_desc(), stream);
        memory wei = buffers.as(buffers.wrap(weight), p.forward.weights_desc(), stream);
        memory dst = buffers.allocate(p.forward.dst_desc());
        dnnl::convolution_forward(p.forward).execute(
            stream, {{DNNL_ARG_SRC, src},
                     {DNNL_ARG_WEIGHTS, wei},
                     {DNNL_ARG_BIAS, buffers.wrap(bias)},
                     {DNNL_ARG_DST, dst},
                     {DNNL_ARG_SCRATCHPAD, buffers.allocate(p.forward.scratchpad_desc())}});
        buffers.copyOut(dst, out, stream);
        stream.wait();
        ++forwardCount;
        return out;
    }

    static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::tensor_list grads) {
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor& x = saved[0];
        const torch::Tensor& weight = saved[1];
        const torch::Tensor gradOut = dense(grads[0]);
        const ShapePrimitives& p = primitivesFor(keyFor(x, weight.size(0)));
        dnnl::stream stream(cpuEngine());
        CallBuffers buffers;
        memory gradOutUser = buffers.wrap(gradOut);
        // Both backward primitives usually want the gradient in the same blocked layout:
        // reorder it once.
        std::optional<memory> gradOutBlocked;
        auto gradOutAs = [&](const memory::desc& want) {
            if (!gradOutBlocked || gradOutBlocked->get_desc() != want)
                gradOutBlocked = buffers.as(gradOutUser, want, stream);
            return *gradOutBlocked;
        };
        torch::Tensor gradX, gradWeight, gradBias;
        if (ctx->needs_input_grad(0)) {
            gradX = torch::empty_like(x);
            memory diffSrc = buffers.allocate(p.backwardData.diff_src_desc());
            dnnl::convolution_backward_data(p.backwardData)
                .execute(
                    stream,
                    {{DNNL_ARG_DIFF_DST, gradOutAs(p.backwardData.diff_dst_desc())},
                     {DNNL_ARG_WEIGHTS,
                      buffers.as(buffers.wrap(weight), p.backwardData.weights_desc(), stream)},
                     {DNNL_ARG_DIFF_SRC, diffSrc},
                     {DNNL_ARG_SCRATCHPAD, buffers.allocate(p.backwardData.scratchpad_desc())}});
            buffers.copyOut(diffSrc, gradX, stream);
        }
        if (ctx->needs_input_grad(1) || ctx->needs_input_grad(2)) {
            gradWeight = torch::empty_like(weight);
            gradBias = torch::empty({weight.size(0)}, weight.options());
            memory diffWeights = buffers.allocate(p.backwardWeights.diff_weights_desc());
            dnnl::convolution_backward_weights(p.backwardWeights)
                .execute(
                    stream,
                    {{DNNL_ARG_SRC,
                      buffers.as(buffers.wrap(x), p.backwardWeights.src_desc(), stream)},
                     {DNNL_ARG_DIFF_DST, gradOutAs(p.backwardWeights.diff_dst_desc())},
                     {DNNL_ARG_DIFF_WEIGHTS, diffWeights},
                     {DNNL_ARG_DIFF_BIAS, buffers.wrap(gradBias)},
                     {DNNL_ARG_SCRATCHPAD, buffers.allocate(p.backwardWeights.scratchpad_desc())}});
            buffers.copyOut(diffWeights, gradWeight, stream);
        }
        stream.wait();
        return {gradX, gradWeight, gradBias};
    }
};

}  // namespace

bool winogradAvailable() {
    static const bool available = primitivesFor({1, 64, 64, 16, 16, 1}).supported;
    return available;
}

torch::Tensor conv3x3(torch::nn::Conv2d conv, const torch::Tensor& x) {
    if (!appliesTo(conv, x)) return conv->forward(x);
    const ShapePrimitives& p = primitivesFor(keyFor(x, conv->weight.size(0)));
    if (!p.supported) return conv->forward(x);
    return WinogradConvFunction::apply(x, conv->weight, conv->bias);
}

#endif

}  // namespace doppel::models
