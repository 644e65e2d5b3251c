#include "media/ImageLabel.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <iterator>

#include "common/Error.h"
#include "common/PngChunks.h"
#include "media/ExportLabel.h"

namespace doppel {
namespace {

const char kXmpJpegHeader[] = "http://ns.adobe.com/xap/1.0/";  // followed by a NUL
const char kXmpPngKeyword[] = "XML:com.adobe.xmp";
const uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

std::string imageDescription() {
    return "This image contains AI-generated content: faces were replaced by a face-swap model "
           "trained with Doppel " DOPPEL_VERSION
           ". It also carries an invisible watermark; check it with `doppel verify`.";
}

std::string escapeXml(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '&')
            out += "&amp;";
        else if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else if (c == '"')
            out += "&quot;";
        else
            out += c;
    }
    return out;
}

std::string xmpPacket() {
    const auto tags = syntheticMediaTags();
    return std::string("<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n") +
           "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
           " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
           "  <rdf:Description rdf:about=\"\"\n"
           "    xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\"\n"
           "    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
           "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n"
           "    Iptc4xmpExt:DigitalSourceType=\"" +
           escapeXml(tags.at("digitalSourceType")) + "\"\n    xmp:CreatorTool=\"" +
           escapeXml(tags.at("generator")) +
           "\">\n"
           "   <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">" +
           escapeXml(imageDescription()) +
           "</rdf:li></rdf:Alt></dc:description>\n"
           "  </rdf:Description>\n"
           " </rdf:RDF>\n"
           "</x:xmpmeta>\n"
           "<?xpacket end=\"r\"?>";
}

/// The value of an XMP property written as an attribute (Name="v") or an element (<Name>v<).
std::string xmpValue(const std::string& xmp, const std::string& name) {
    size_t at = xmp.find(name + "=\"");
    if (at != std::string::npos) {
        at += name.size() + 2;
        return xmp.substr(at, xmp.find('"', at) - at);
    }
    at = xmp.find("<" + name + ">");
    if (at == std::string::npos) return {};
    at += name.size() + 2;
    return xmp.substr(at, xmp.find('<', at) - at);
}

void readXmp(const std::string& xmp, std::map<std::string, std::string>& tags) {
    const std::string source = xmpValue(xmp, "Iptc4xmpExt:DigitalSourceType");
    if (!source.empty()) tags["digitalSourceType"] = source;
    const std::string tool = xmpValue(xmp, "xmp:CreatorTool");
    if (!tool.empty()) tags["generator"] = tool;
}

// --- JPEG -------------------------------------------------------------------------------------

void appendSegment(std::vector<uint8_t>& out, uint8_t marker, const std::string& payload) {
    const size_t length = payload.size() + 2;
    if (length > 0xFFFF) throw Error(ErrorCode::Internal, "JPEG segment too long for the label");
    out.insert(out.end(), {0xFF, marker, uint8_t(length >> 8), uint8_t(length & 0xFF)});
    out.insert(out.end(), payload.begin(), payload.end());
}

std::vector<uint8_t> labelJpeg(const std::vector<uint8_t>& in) {
    // After SOI and a JFIF APP0, which must come first.
    size_t at = 2;
    if (in.size() > 8 && in[2] == 0xFF && in[3] == 0xE0) at = 4 + ((in[4] << 8) | in[5]);
    if (at > in.size()) throw Error(ErrorCode::InvalidInput, "truncated JPEG");
    std::vector<uint8_t> out(in.begin(), in.begin() + std::ptrdiff_t(at));
    appendSegment(out, 0xE1, std::string(kXmpJpegHeader, sizeof kXmpJpegHeader) + xmpPacket());
    appendSegment(out, 0xFE, syntheticMediaTags().at("comment"));
    out.insert(out.end(), in.begin() + std::ptrdiff_t(at), in.end());
    return out;
}

void readJpegTags(const std::vector<uint8_t>& data, std::map<std::string, std::string>& tags) {
    size_t at = 2;
    while (at + 4 <= data.size() && data[at] == 0xFF) {
        const uint8_t marker = data[at + 1];
        if (marker == 0xDA || marker == 0xD9) break;  // image data (SOS) or end: no more metadata
        const size_t length = (size_t(data[at + 2]) << 8) | data[at + 3];
        if (length < 2 || at + 2 + length > data.size()) break;
        const std::string payload(data.begin() + std::ptrdiff_t(at + 4),
                                  data.begin() + std::ptrdiff_t(at + 2 + length));
        if (marker == 0xFE) tags["comment"] = payload;
        const std::string xmpHeader(kXmpJpegHeader, sizeof kXmpJpegHeader);
        if (marker == 0xE1 && payload.compare(0, xmpHeader.size(), xmpHeader) == 0)
            readXmp(payload.substr(xmpHeader.size()), tags);
        at += 2 + length;
    }
}

// --- PNG --------------------------------------------------------------------------------------

std::vector<uint8_t> labelPng(const std::vector<uint8_t>& in) {
    const size_t afterHeader = 8 + 25;  // signature, IHDR (length, type, 13 bytes, CRC)
    if (in.size() < afterHeader || std::string(in.begin() + 12, in.begin() + 16) != "IHDR")
        throw Error(ErrorCode::InvalidInput, "not a PNG file with an IHDR chunk first");
    std::string chunks;
    // iTXt: keyword, NUL, not compressed (0, 0), empty language and translated keyword.
    appendPngChunk(chunks, "iTXt",
                   std::string(kXmpPngKeyword) + std::string("\0\0\0\0\0", 5) + xmpPacket());
    const auto tags = syntheticMediaTags();
    appendPngChunk(chunks, "tEXt", "Comment" + std::string(1, '\0') + tags.at("comment"));
    appendPngChunk(chunks, "tEXt", "Description" + std::string(1, '\0') + imageDescription());
    appendPngChunk(chunks, "tEXt", "Software" + std::string(1, '\0') + tags.at("generator"));
    std::vector<uint8_t> out(in.begin(), in.begin() + afterHeader);
    out.insert(out.end(), chunks.begin(), chunks.end());
    out.insert(out.end(), in.begin() + afterHeader, in.end());
    return out;
}

void readPngTags(const std::vector<uint8_t>& data, std::map<std::string, std::string>& tags) {
    size_t at = 8;
    while (at + 12 <= data.size()) {
        const size_t length = (size_t(data[at]) << 24) | (size_t(data[at + 1]) << 16) |
                              (size_t(data[at + 2]) << 8) | data[at + 3];
        const std::string type(data.begin() + std::ptrdiff_t(at + 4),
                               data.begin() + std::ptrdiff_t(at + 8));
        if (type == "IDAT" || type == "IEND" || at + 12 + length > data.size()) break;
        const std::string body(data.begin() + std::ptrdiff_t(at + 8),
                               data.begin() + std::ptrdiff_t(at + 8 + length));
        const size_t nul = body.find('\0');
        if (nul != std::string::npos) {
            const std::string keyword = body.substr(0, nul);
            if (type == "tEXt") {
                std::string key = keyword;
                for (char& c : key) c = char(std::tolower(static_cast<unsigned char>(c)));
                tags[key == "software" ? "generator" : key] = body.substr(nul + 1);
            }
            if (type == "iTXt" && keyword == kXmpPngKeyword) readXmp(body.substr(nul + 1), tags);
        }
        at += 12 + length;
    }
}

bool isPng(const std::vector<uint8_t>& data) {
    return data.size() >= 8 && std::equal(kPngSignature, kPngSignature + 8, data.begin());
}

bool isJpeg(const std::vector<uint8_t>& data) {
    return data.size() >= 4 && data[0] == 0xFF && data[1] == 0xD8;
}

}  // namespace

std::string addImageLabel(const std::string& encoded) {
    const std::vector<uint8_t> bytes(encoded.begin(), encoded.end());
    std::vector<uint8_t> labelled;
    if (isPng(bytes))
        labelled = labelPng(bytes);
    else if (isJpeg(bytes))
        labelled = labelJpeg(bytes);
    else
        throw Error(ErrorCode::InvalidInput, "only PNG and JPEG images can carry the label");
    return std::string(labelled.begin(), labelled.end());
}

std::map<std::string, std::string> readImageLabelTags(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::NotFound, path.string() + ": cannot be read");
    const std::vector<uint8_t> data{std::istreambuf_iterator<char>(in),
                                    std::istreambuf_iterator<char>()};
    std::map<std::string, std::string> tags;
    if (isPng(data)) readPngTags(data, tags);
    if (isJpeg(data)) readJpegTags(data, tags);
    return tags;
}

}  // namespace doppel
