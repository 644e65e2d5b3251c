#include "media/ExportLabel.h"

#include <algorithm>
#include <cctype>

extern "C" {
#include <libavformat/avformat.h>
}

#include "common/Error.h"

namespace doppel {

const char* const kTrainedAlgorithmicMediaUri =
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

std::map<std::string, std::string> syntheticMediaTags() {
    const std::string version = DOPPEL_VERSION;
    return {
        {"comment", "AI-generated (synthetic) media made with Doppel " + version + " face swap"},
        {"description",
         "This video contains AI-generated content: faces were replaced by a face-swap model "
         "trained with Doppel " +
             version + ". It also carries an invisible watermark; check it with `doppel verify`."},
        {"digitalSourceType", kTrainedAlgorithmicMediaUri},
        {"synthetic_media", "true"},
        {"generator", "Doppel " + version},
    };
}

const MediaStreamSummary* MediaFileSummary::firstOfType(const std::string& type) const {
    for (const auto& s : streams)
        if (s.type == type) return &s;
    return nullptr;
}

MediaFileSummary inspectMediaFile(const std::filesystem::path& path) {
    const std::string name = path.string();
    if (!std::filesystem::exists(path)) throw Error(ErrorCode::NotFound, name + ": no such file");
    AVFormatContext* format = nullptr;
    int rc = avformat_open_input(&format, name.c_str(), nullptr, nullptr);
    if (rc < 0) {
        char text[AV_ERROR_MAX_STRING_SIZE] = {0};
        av_strerror(rc, text, sizeof text);
        throw Error(ErrorCode::InvalidInput, name + ": not a readable media file (" + text + ")");
    }
    MediaFileSummary out;
    if (avformat_find_stream_info(format, nullptr) < 0) {
        avformat_close_input(&format);
        throw Error(ErrorCode::InvalidInput, name + ": cannot read its streams");
    }
    out.container = format->iformat->name;
    out.durationSeconds = format->duration > 0 ? double(format->duration) / AV_TIME_BASE : 0;
    const AVDictionaryEntry* e = nullptr;
    while ((e = av_dict_get(format->metadata, "", e, AV_DICT_IGNORE_SUFFIX)))
        out.tags[e->key] = e->value;
    std::vector<int64_t> firstPts(format->nb_streams, INT64_MAX),
        endPts(format->nb_streams, INT64_MIN);
    for (unsigned i = 0; i < format->nb_streams; ++i) {
        AVStream* st = format->streams[i];
        MediaStreamSummary s;
        const char* type = av_get_media_type_string(st->codecpar->codec_type);
        s.type = type ? type : "unknown";
        s.codec = avcodec_get_name(st->codecpar->codec_id);
        s.width = st->codecpar->width;
        s.height = st->codecpar->height;
        if (st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0)
            s.fps = av_q2d(st->avg_frame_rate);
        out.streams.push_back(s);
        e = nullptr;
        while ((e = av_dict_get(st->metadata, "", e, AV_DICT_IGNORE_SUFFIX)))
            out.tags.emplace(e->key, e->value);
    }
    AVPacket* packet = av_packet_alloc();
    while (av_read_frame(format, packet) >= 0) {
        int i = packet->stream_index;
        if (i >= 0 && i < int(out.streams.size())) {
            ++out.streams[i].packets;
            if (packet->pts != AV_NOPTS_VALUE) {
                firstPts[i] = std::min(firstPts[i], packet->pts);
                endPts[i] = std::max(endPts[i], packet->pts + packet->duration);
            }
        }
        av_packet_unref(packet);
    }
    av_packet_free(&packet);
    for (unsigned i = 0; i < format->nb_streams; ++i) {
        AVStream* st = format->streams[i];
        // The container's own figure when it has one (MP4 does; demuxed packets may lack
        // durations).
        if (st->duration > 0 && st->duration != AV_NOPTS_VALUE)
            out.streams[i].durationSeconds = double(st->duration) * av_q2d(st->time_base);
        else if (endPts[i] > firstPts[i])
            out.streams[i].durationSeconds =
                double(endPts[i] - firstPts[i]) * av_q2d(st->time_base);
    }
    avformat_close_input(&format);
    return out;
}

LabelCheck checkSyntheticLabel(const std::map<std::string, std::string>& tags) {
    auto lower = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char c) { return char(std::tolower(c)); });
        return s;
    };
    LabelCheck check;
    for (const auto& [key, value] : tags) {
        std::string k = lower(key), v = lower(value);
        bool match = (k.find("digitalsourcetype") != std::string::npos &&
                      v.find("trainedalgorithmicmedia") != std::string::npos) ||
                     ((k == "comment" || k == "description") &&
                      v.find("ai-generated") != std::string::npos) ||
                     (k == "synthetic_media" && v == "true");
        if (match) {
            check.labelled = true;
            if (!check.evidence.empty()) check.evidence += "; ";
            check.evidence += key + "=" + value.substr(0, 80);
        }
    }
    return check;
}

}  // namespace doppel
