// CloudFront Function, viewer-request event, runtime cloudfront-js-2.0.
//
// The origin (App Runner's front, or the shared load balancer of ECS Express Mode) routes by Host and must
// receive its own domain there, so the distribution does NOT forward the viewer's Host. The app still needs
// the public host name to build absolute links and redirects: this function copies it into X-Forwarded-Host.
// Host itself is read-only in viewer-request events; changing it makes CloudFront answer 502 (CloudFront
// Developer Guide, "Restrictions on all edge functions",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html).
//
// Whatever X-Forwarded-Host the viewer sent is replaced, never passed on: the app trusts this header only
// when the secret origin header proves the request came through CloudFront.
function handler(event) {
    var request = event.request;
    var host = request.headers.host;
    if (host && host.value) {
        request.headers['x-forwarded-host'] = { value: host.value };
    } else {
        delete request.headers['x-forwarded-host'];
    }
    return request;
}
