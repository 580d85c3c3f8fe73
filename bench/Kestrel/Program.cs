// Kestrel baseline for bench/http/run.sh: GET / answers "Hello, World!" (text/plain), logging off.
// Run: dotnet run -c Release --project bench/Kestrel -- --urls http://127.0.0.1:5000
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
WebApplication app = builder.Build();
app.MapGet("/", () => "Hello, World!");
app.Run();
