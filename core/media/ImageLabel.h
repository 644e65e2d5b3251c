#pragma once
// The synthetic-media label inside a still image, where a photo's metadata lives: an XMP packet
// with the IPTC property Iptc4xmpExt:DigitalSourceType = trainedAlgorithmicMedia (the term IPTC
// and the C2PA guidance use for generative AI), a description, and a plain comment. JPEG: APP1
// "http://ns.adobe.com/xap/1.0/" and COM segments after SOI/APP0; PNG: an iTXt chunk keyed
// "XML:com.adobe.xmp" and tEXt "Comment"/"Description"/"Software" after IHDR. The pixels are not
// touched (the invisible watermark is in them already), so the file decodes exactly as before.
#include <filesystem>
#include <map>
#include <string>

namespace doppel {

/// `encoded` (the bytes of a whole .png or .jpg file, as encodeImage gives them) with the label
/// added; throws Error(InvalidInput) when it is neither a PNG nor a JPEG.
std::string addImageLabel(const std::string& encoded);

/// The label tags found in a PNG or JPEG file (keys as syntheticMediaTags() names them:
/// comment, description, digitalSourceType, generator), for checkSyntheticLabel. Empty for
/// other formats. Throws Error(NotFound) when the file cannot be read.
std::map<std::string, std::string> readImageLabelTags(const std::filesystem::path& path);

}  // namespace doppel
