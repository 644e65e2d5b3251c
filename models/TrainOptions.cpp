#include "models/TrainOptions.h"

namespace doppel::models {

void addDeviceOptions(OptionSchema& s) {
    s.addInt("seed", 0, 0, 2147483647, "random seed: the same seed gives the same run on CPU")
        .inGroup("Device");
    s.addChoice("device", "auto", {"auto", "cpu", "cuda"},
                "where to train: auto = the CUDA GPU when there is one, else the CPU")
        .inGroup("Device");
    s.addInt("threads", 0, 0, 256, "CPU threads for training; 0 = all cores").inGroup("Device");
}

const OptionSchema& trainOptionSchema() {
    static const OptionSchema schema = [] {
        OptionSchema s;
        s.addChoice("archi", "liae-ud",
                    {"df", "liae", "df-u", "df-d", "df-ud", "liae-u", "liae-d", "liae-ud"},
                    "network: df (shared encoder, one decoder per person: closer likeness) or liae "
                    "(shared "
                    "decoder: better pose/light transfer); -u pixel-norm, -d half-resolution "
                    "decoder (faster)")
            .fixedOnResume()
            .inGroup("Model");
        s.addInt("resolution", 128, 64, 512,
                 "face side in pixels (multiple of 16; 32 for -d); the packed facesets are resized "
                 "to it")
            .fixedOnResume()
            .inGroup("Model");
        s.addInt("ae_dims", 256, 32, 1024, "autoencoder bottleneck width")
            .fixedOnResume()
            .inGroup("Model");
        s.addInt("e_dims", 64, 16, 256, "encoder base channels").fixedOnResume().inGroup("Model");
        s.addInt("d_dims", 64, 16, 256, "decoder base channels").fixedOnResume().inGroup("Model");
        s.addInt("d_mask_dims", 22, 8, 256, "mask decoder base channels")
            .fixedOnResume()
            .inGroup("Model");
        s.addChoice("optimizer", "adabelief", {"adabelief", "adam", "rmsprop"},
                    "optimiser; its saved moments only fit the same kind, so it is fixed once a "
                    "model exists")
            .fixedOnResume()
            .inGroup("Model");

        s.addInt("batch", 8, 1, 256,
                 "faces per side per iteration; more is smoother but needs more memory")
            .inGroup("Training");
        s.addFloat("lr", 5e-5, 1e-8, 1.0, "learning rate (a bad-step rollback halves it)")
            .inGroup("Training");
        s.addBool("clip_grad", false,
                  "clip the global gradient norm to 1.0 (steadier, slightly slower)")
            .inGroup("Training");
        s.addBool("lr_dropout", false,
                  "keep each weight update with p 0.3 (sharper late in training)")
            .inGroup("Training");
        s.addFloat("true_face_power", 0.0, 0.0, 1.0,
                   "DF archis only: a discriminator on the shared code makes destination codes "
                   "pass for source ones, so the swap keeps more of the source identity "
                   "(DeepFaceLab's true face; 0 = off, try 0.01)")
            .inGroup("Training");
        s.addBool("random_warp", true,
                  "warp the input randomly so the network learns faces, not pixels; turn "
                  "off late in training to sharpen")
            .inGroup("Augmentation");
        s.addBool("random_flip_src", false,
                  "mirror source faces at random (can blur asymmetric features)")
            .inGroup("Augmentation");
        s.addBool("random_flip_dst", true, "mirror destination faces at random")
            .inGroup("Augmentation");
        s.addBool("masked_training", true,
                  "train on the face hull only, so the background does not use capacity")
            .inGroup("Training");
        s.addBool("eyes_mouth_priority", false, "weight eyes and mouth heavily in the loss")
            .inGroup("Training");
        s.addFloat("gan_power", 0.0, 0.0, 5.0,
                   "GAN: a patch discriminator judges the source reconstructions, and this "
                   "weight of its verdict joins the source loss, for sharper skin and detail; "
                   "0 = off. DeepFaceLab users switch it on (0.1) once the swap looks right")
            .inGroup("Training");
        s.addFloat("face_style_power", 0.0, 0.0, 100.0,
                   "percent: the swap (destination through the source decoder) learns the "
                   "destination's colour and light inside the face (DeepFaceLab's "
                   "face_style_power; 0 = off). Start small (0.1-10) once the model has learnt; "
                   "too much makes the swap look like the destination or shows artefacts")
            .inGroup("Training");
        s.addFloat("bg_style_power", 0.0, 0.0, 100.0,
                   "percent: the swap learns to keep the destination's background around the "
                   "face (DeepFaceLab's bg_style_power; 0 = off). Start small (0.1-10) once the "
                   "model has learnt and raise it slowly")
            .inGroup("Training");
        s.addBool("color_jitter", false, "jitter brightness/contrast of the input")
            .inGroup("Augmentation");
        s.addBool("blur_out_mask", false,
                  "blur the background around the face in training samples (DeepFaceLab's "
                  "blur_out_mask), so the swap does not carry the scene's detail at its edge")
            .inGroup("Augmentation");
        s.addBool("uniform_yaw", false,
                  "draw faces evenly across head-turn angles (DeepFaceLab's uniform_yaw): side "
                  "views, rare in most videos, come up as often as frontal ones")
            .inGroup("Augmentation");
        s.addChoice("ct_mode", "none", {"none", "rct", "lct"},
                    "colour transfer in training (DeepFaceLab's ct_mode): source faces take on "
                    "the colours of random destination faces, so the swap learns the scene's "
                    "lighting and skin tone; rct = Lab mean/std, lct = RGB covariance")
            .inGroup("Augmentation");

        s.addInt("preview_every", 100, 1, 1000000,
                 "iterations between preview grids (PNG in previews/)")
            .inGroup("Saving");
        s.addFloat("autosave_minutes", 25, 0.1, 1440, "minutes between checkpoints")
            .inGroup("Saving");
        s.addInt("backups", 2, 0, 50, "older checkpoints kept besides the latest (rotating)")
            .inGroup("Saving");

        addDeviceOptions(s);
        s.addChoice("precision", "fp32", {"fp32", "bf16", "fp16"},
                    "CUDA only: bf16 or fp16 autocast (weights, loss and optimiser state stay "
                    "fp32; fp16 uses "
                    "loss scaling); ignored on CPU")
            .inGroup("Device");
        s.addBool("channels_last", true,
                  "channels-last memory layout: faster convolutions (CUDA tensor cores; oneDNN "
                  "on the CPU)")
            .inGroup("Device");
        s.addBool("winograd", true,
                  "CPU: the decoders' 3x3 convolutions through oneDNN's Winograd kernels (about "
                  "2x faster on AVX-512; off: ATen's direct convolutions)")
            .inGroup("Device");
        return s;
    }();
    return schema;
}

TrainOptions TrainOptions::fromJson(const nlohmann::json& options) {
    nlohmann::json v = trainOptionSchema().resolve(options);
    TrainOptions o;
    o.archi = v["archi"].get<std::string>();
    o.resolution = v["resolution"].get<int>();
    o.aeDims = v["ae_dims"].get<int>();
    o.eDims = v["e_dims"].get<int>();
    o.dDims = v["d_dims"].get<int>();
    o.dMaskDims = v["d_mask_dims"].get<int>();
    o.optimizer = v["optimizer"].get<std::string>();
    o.batch = v["batch"].get<int>();
    o.lr = v["lr"].get<double>();
    o.clipGrad = v["clip_grad"].get<bool>();
    o.lrDropout = v["lr_dropout"].get<bool>();
    o.randomWarp = v["random_warp"].get<bool>();
    o.randomFlipSrc = v["random_flip_src"].get<bool>();
    o.randomFlipDst = v["random_flip_dst"].get<bool>();
    o.maskedTraining = v["masked_training"].get<bool>();
    o.eyesMouthPriority = v["eyes_mouth_priority"].get<bool>();
    o.ganPower = v["gan_power"].get<double>();
    o.trueFacePower = v["true_face_power"].get<double>();
    o.faceStylePower = v["face_style_power"].get<double>();
    o.bgStylePower = v["bg_style_power"].get<double>();
    o.colorJitter = v["color_jitter"].get<bool>();
    o.ctMode = v["ct_mode"].get<std::string>();
    o.uniformYaw = v["uniform_yaw"].get<bool>();
    o.blurOutMask = v["blur_out_mask"].get<bool>();
    o.previewEvery = v["preview_every"].get<int>();
    o.autosaveMinutes = v["autosave_minutes"].get<double>();
    o.backups = v["backups"].get<int>();
    o.seed = v["seed"].get<int64_t>();
    o.device = v["device"].get<std::string>();
    o.threads = v["threads"].get<int>();
    o.precision = v["precision"].get<std::string>();
    o.channelsLast = v["channels_last"].get<bool>();
    o.winograd = v["winograd"].get<bool>();
    return o;
}

nlohmann::json TrainOptions::toJson() const {
    return {{"archi", archi},
            {"resolution", resolution},
            {"ae_dims", aeDims},
            {"e_dims", eDims},
            {"d_dims", dDims},
            {"d_mask_dims", dMaskDims},
            {"optimizer", optimizer},
            {"batch", batch},
            {"lr", lr},
            {"clip_grad", clipGrad},
            {"lr_dropout", lrDropout},
            {"random_warp", randomWarp},
            {"random_flip_src", randomFlipSrc},
            {"random_flip_dst", randomFlipDst},
            {"masked_training", maskedTraining},
            {"eyes_mouth_priority", eyesMouthPriority},
            {"gan_power", ganPower},
            {"true_face_power", trueFacePower},
            {"face_style_power", faceStylePower},
            {"bg_style_power", bgStylePower},
            {"color_jitter", colorJitter},
            {"ct_mode", ctMode},
            {"uniform_yaw", uniformYaw},
            {"blur_out_mask", blurOutMask},
            {"preview_every", previewEvery},
            {"autosave_minutes", autosaveMinutes},
            {"backups", backups},
            {"seed", seed},
            {"device", device},
            {"threads", threads},
            {"precision", precision},
            {"channels_last", channelsLast},
            {"winograd", winograd}};
}

}  // namespace doppel::models
